import { progress } from '../progress';

/**
 * What a create has made so far, undone newest first when it fails. An undo step that fails is
 * reported and the rest still run: a half rollback that says what it left beats one that stops.
 */
export class Rollback {
  private readonly steps: { what: string; undo: () => Promise<void> }[] = [];

  /** Records how to undo `what`, once it exists. */
  add(what: string, undo: () => Promise<void>): void {
    this.steps.push({ what, undo });
  }

  get empty(): boolean {
    return this.steps.length === 0;
  }

  /** Undoes everything recorded; returns what could not be undone, with why. */
  async run(): Promise<string[]> {
    const left: string[] = [];
    for (const step of this.steps.reverse()) {
      progress(`rollback: removing ${step.what}`);
      try {
        await step.undo();
      } catch (error) {
        left.push(`${step.what}: ${(error as Error).message}`);
      }
    }
    this.steps.length = 0;
    return left;
  }
}
