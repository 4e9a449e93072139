// The bytes of a stream not yet handed out: an incomplete request or reply waiting for its next
// chunk. Appending copies only the new chunk (the storage grows by doubling), and bytes already
// handed out as views into the storage are never written over: new bytes go after the held ones.

/** The smallest storage allocated. */
const MIN_CAPACITY = 16 * 1024;
/** Storage up to this size is kept while it holds bytes; larger storage holding little is given back. */
const KEEP_CAPACITY = 1024 * 1024;

const EMPTY = Buffer.alloc(0);

export class InputBuffer {
  private storage: Buffer = EMPTY;
  private start = 0;
  private end = 0;

  /** `maxCapacity`: storage never grows beyond it by doubling, only to what is held. */
  constructor(private readonly maxCapacity: number) {}

  get length(): number {
    return this.end - this.start;
  }

  /** The held bytes, as a view that stays valid (its bytes unchanged) after later calls. */
  view(): Buffer {
    return this.storage.subarray(this.start, this.end);
  }

  /**
   * Holds `bytes`, a chunk's tail, without copying them when nothing is held: they stay where
   * they are, and the next append copies them out with the new chunk (nothing is written there).
   */
  keep(bytes: Buffer): void {
    if (this.length > 0) {
      this.append(bytes);
      return;
    }
    this.storage = bytes;
    this.start = 0;
    this.end = bytes.length;
  }

  append(bytes: Buffer): void {
    if (this.end + bytes.length > this.storage.length) this.grow(bytes.length);
    this.end += bytes.copy(this.storage, this.end);
  }

  /** Drops the first `count` held bytes; storage holding nothing, or large storage holding little, is given back. */
  consume(count: number): void {
    this.start += count;
    const held = this.end - this.start;
    if (held === 0) this.release();
    else if (this.storage.length > KEEP_CAPACITY && held * 4 <= this.storage.length) this.moveTo(Buffer.allocUnsafe(Math.max(MIN_CAPACITY, held * 2)));
  }

  /** Drops everything held and the storage. */
  release(): void {
    this.storage = EMPTY;
    this.start = 0;
    this.end = 0;
  }

  private grow(incoming: number): void {
    const needed = this.length + incoming;
    this.moveTo(Buffer.allocUnsafe(Math.max(MIN_CAPACITY, needed, Math.min(needed * 2, this.maxCapacity))));
  }

  private moveTo(storage: Buffer): void {
    this.end = this.storage.copy(storage, 0, this.start, this.end);
    this.start = 0;
    this.storage = storage;
  }
}
