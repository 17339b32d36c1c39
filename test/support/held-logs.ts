// Log lines of the running test, held until it ends (no dependencies: loaded by every unit test file).
const held: string[] = [];

export function holdLogLine(line: string): void {
  held.push(line);
}

/** The lines held since the last call, emptied. */
export function takeHeldLogLines(): string[] {
  return held.splice(0, held.length);
}
