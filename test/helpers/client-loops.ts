// A loop per client that runs until stopped: the traffic tests keep flowing through the proxy
// while something changes under it (DNS answers, a failover, a reload).
export class ClientLoops<C> {
  private active = true;
  private loops: Promise<void>[] = [];

  /** `close` ends a client once its loop has returned. */
  constructor(private readonly clients: readonly C[], private readonly close: (client: C) => void) {}

  /** Runs `run` for each client until stop(); each loop checks `running` before its next turn. */
  start(run: (client: C, index: number) => Promise<void>): void {
    this.loops = this.clients.map((client, index) => run(client, index));
  }

  get running(): boolean {
    return this.active;
  }

  /** Waits for every loop to finish its turn, then closes the clients. */
  async stop(): Promise<void> {
    this.active = false;
    await Promise.all(this.loops);
    for (const client of this.clients) this.close(client);
  }
}
