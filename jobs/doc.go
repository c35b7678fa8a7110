// Package jobs schedules collection: it decides which tasks go on task-queue
// and when, from the NYSE calendar and a clock that can run faster than real
// time for demos. It also publishes one-shot tasks for `tickerlake run`.
package jobs
