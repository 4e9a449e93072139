// What every distribution builds.

export interface Dispatcher {
  /** Index into the servers array passed to buildDispatcher, or -1 when no server is live. */
  serverFor(hash: number): number;
}

/** A logical server as the distributions see it. */
export interface WeightedServer {
  /** The name hashed onto the ketama ring (ServerConfig.name). */
  name: string;
  weight: number;
}

export const NO_LIVE_SERVER: Dispatcher = { serverFor: () => -1 };

/** Indexes of the live servers, in server order. */
export function liveIndexes(live: readonly boolean[]): number[] {
  const indexes: number[] = [];
  live.forEach((isLive, index) => {
    if (isLive) indexes.push(index);
  });
  return indexes;
}
