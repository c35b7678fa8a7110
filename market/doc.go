// Package market defines what tickerlake stores: the stock universe, the NYSE
// session calendar, and the record types and schemas of every dataset.
package market
