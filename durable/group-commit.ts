/**
 * Writes decided one by one, in arrival order, but made durable together:
 * writes that arrive while a commit is pending join it, and the durable
 * commit (the expensive part) is paid once per group. If the group's
 * transaction fails, each write runs again in a transaction of its own, so
 * a fault in one never fails the others.
 *
 * @example
 * const commits = new GroupCommit((run) => this.transaction(run), (results) => this.afterCommit(results));
 * const answer = await commits.submit(() => decide());
 */
export class GroupCommit<T> {
  private readonly queued: { apply: () => T; resolve: (value: T) => void; reject: (error: unknown) => void }[] = [];

  constructor(
    private readonly transaction: <R>(run: () => R) => R,
    /** Runs after each group has committed and its writers have their answers. */
    private readonly afterCommit: () => Promise<void>,
  ) {}

  /** Queues `apply` for the next group commit and resolves with its answer once it is durable. */
  submit(apply: () => T): Promise<T> {
    return new Promise((resolve, reject) => {
      this.queued.push({ apply, resolve, reject });
      // A macrotask, so that writes delivered meanwhile join this group.
      if (this.queued.length === 1) setTimeout(() => void this.commit(), 0);
    });
  }

  private async commit(): Promise<void> {
    const group = this.queued.splice(0);
    try {
      const results = this.transaction(() => group.map((write) => write.apply()));
      group.forEach((write, i) => write.resolve(results[i]!));
    } catch {
      for (const write of group) {
        try {
          write.resolve(this.transaction(write.apply));
        } catch (error) {
          write.reject(error);
        }
      }
    }
    await this.afterCommit();
  }
}
