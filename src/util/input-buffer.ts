// The bytes of a stream not yet handed out: an incomplete request or reply waiting for its next
// chunk. Appending copies only the new chunk (the storage grows by doubling), and bytes already
// handed out as views into the storage are never written over: new bytes go after the held ones.

/** Storage allocated for a first tail; enough for most requests and replies split over chunks. */
const MIN_CAPACITY = 16 * 1024;
/** Storage kept once empty; anything larger is given back. */
const KEEP_CAPACITY = 64 * 1024;

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

  append(bytes: Buffer): void {
    if (this.end + bytes.length > this.storage.length) this.grow(bytes.length);
    this.end += bytes.copy(this.storage, this.end);
  }

  /** Drops the first `count` held bytes; large storage holding little is given back. */
  consume(count: number): void {
    this.start += count;
    const held = this.end - this.start;
    if (this.storage.length <= KEEP_CAPACITY || held * 4 > this.storage.length) return;
    if (held === 0) this.release();
    else this.moveTo(Buffer.allocUnsafe(Math.max(MIN_CAPACITY, held * 2)));
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
