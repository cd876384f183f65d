/**
 * An IPv4 range in CIDR notation. Addresses are held as unsigned 32-bit numbers so that
 * range arithmetic stays exact (JavaScript's bitwise operators are signed, hence `>>> 0`).
 */
export class Cidr {
  /**
   * Parses `a.b.c.d/n`. Returns a reason instead of throwing so that a plan can report every
   * bad input at once.
   */
  public static tryParse(text: string): Cidr | string {
    const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(typeof text === 'string' ? text.trim() : '');
    if (!match) {
      return 'is not an IPv4 CIDR (expected a.b.c.d/n, for example 10.0.0.0/16)';
    }
    const octets = match.slice(1, 5).map(Number);
    const prefix = Number(match[5]);
    if (octets.some((o) => o > 255)) {
      return 'has an octet above 255';
    }
    if (prefix > 32) {
      return 'has a prefix length above /32';
    }
    const address = ipToNumber(octets);
    const cidr = new Cidr(address, prefix);
    if (cidr.network !== address) {
      return `is not canonical: host bits are set; the range it names is ${cidr.toString()}`;
    }
    return cidr;
  }

  /** Parses `a.b.c.d/n` and throws on anything else (for values known to be valid). */
  public static parse(text: string): Cidr {
    const parsed = Cidr.tryParse(text);
    if (typeof parsed === 'string') {
      throw new Error(`"${text}" ${parsed}`);
    }
    return parsed;
  }

  /** First address of the range. */
  public readonly network: number;

  private constructor(address: number, public readonly prefix: number) {
    this.network = (address & maskOf(prefix)) >>> 0;
  }

  /** Number of addresses in the range. */
  public get size(): number {
    return 2 ** (32 - this.prefix);
  }

  /** Last address of the range. */
  public get last(): number {
    return this.network + this.size - 1;
  }

  public contains(other: Cidr): boolean {
    return other.network >= this.network && other.last <= this.last;
  }

  public containsAddress(address: number): boolean {
    return address >= this.network && address <= this.last;
  }

  public overlaps(other: Cidr): boolean {
    return this.network <= other.last && other.network <= this.last;
  }

  /** The address `offset` positions after the network address. */
  public address(offset: number): string {
    if (offset < 0 || offset >= this.size) {
      throw new RangeError(`offset ${offset} is outside ${this.toString()}`);
    }
    return numberToIp(this.network + offset);
  }

  /** The `index`-th range of prefix length `prefix` inside this one. */
  public subrange(prefix: number, index: number): Cidr {
    if (prefix < this.prefix || prefix > 32) {
      throw new RangeError(`/${prefix} does not fit inside ${this.toString()}`);
    }
    const count = 2 ** (prefix - this.prefix);
    if (index < 0 || index >= count) {
      throw new RangeError(`${this.toString()} holds ${count} ranges of /${prefix}, not ${index + 1}`);
    }
    return new Cidr(this.network + index * 2 ** (32 - prefix), prefix);
  }

  public toString(): string {
    return `${numberToIp(this.network)}/${this.prefix}`;
  }
}

/** Parses a dotted IPv4 address into an unsigned number, or undefined if it is not one. */
export function parseIp(text: string): number | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!match) {
    return undefined;
  }
  const octets = match.slice(1, 5).map(Number);
  return octets.some((o) => o > 255) ? undefined : ipToNumber(octets);
}

export function numberToIp(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');
}

function ipToNumber(octets: number[]): number {
  return ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
}

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
}
