/**
 * Lets a component's requests answer and its view catch up: a few rounds of
 * macrotask, stability and change detection (a Loader's answer lands in one
 * round, a chart or a request that follows it in the next).
 */
export async function settle(fixture: { whenStable(): Promise<unknown>; detectChanges(): void }, rounds = 4): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await new Promise((r) => setTimeout(r));
    await fixture.whenStable();
    fixture.detectChanges();
  }
}
