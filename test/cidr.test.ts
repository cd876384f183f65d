import { Cidr, numberToIp, parseIp } from '../lib/plan/cidr';

describe('Cidr', () => {
  test('parses a canonical range', () => {
    const cidr = Cidr.parse('10.244.0.0/16');
    expect(cidr.toString()).toBe('10.244.0.0/16');
    expect(cidr.size).toBe(65536);
    expect(numberToIp(cidr.last)).toBe('10.244.255.255');
  });

  test.each([
    ['10.0.0.1/16', /not canonical.*10\.0\.0\.0\/16/],
    ['10.0.0.0', /not an IPv4 CIDR/],
    ['10.0.0.0/33', /above \/32/],
    ['256.0.0.0/8', /above 255/],
    ['fd00::/8', /not an IPv4 CIDR/],
    ['', /not an IPv4 CIDR/],
  ])('refuses %s with a reason', (text, reason) => {
    const parsed = Cidr.tryParse(text);
    expect(typeof parsed).toBe('string');
    expect(parsed).toMatch(reason);
  });

  test('handles the top of the address space without sign errors', () => {
    const cidr = Cidr.parse('255.255.255.0/24');
    expect(cidr.network).toBeGreaterThan(0);
    expect(cidr.address(255)).toBe('255.255.255.255');
    expect(Cidr.parse('0.0.0.0/0').size).toBe(2 ** 32);
  });

  test('overlap and containment', () => {
    const vpc = Cidr.parse('10.0.0.0/16');
    expect(vpc.contains(Cidr.parse('10.0.3.0/24'))).toBe(true);
    expect(vpc.contains(Cidr.parse('10.0.0.0/8'))).toBe(false);
    expect(vpc.overlaps(Cidr.parse('10.0.0.0/8'))).toBe(true);
    expect(vpc.overlaps(Cidr.parse('10.1.0.0/16'))).toBe(false);
    expect(vpc.containsAddress(parseIp('10.0.255.255')!)).toBe(true);
    expect(vpc.containsAddress(parseIp('10.1.0.0')!)).toBe(false);
  });

  test('subranges and addresses', () => {
    const pod = Cidr.parse('10.244.0.0/16');
    expect(pod.subrange(24, 0).toString()).toBe('10.244.0.0/24');
    expect(pod.subrange(24, 255).toString()).toBe('10.244.255.0/24');
    expect(() => pod.subrange(24, 256)).toThrow(/holds 256/);
    expect(() => pod.subrange(8, 0)).toThrow(/does not fit/);
    expect(pod.address(10)).toBe('10.244.0.10');
    expect(() => pod.address(65536)).toThrow(RangeError);
  });

  test('parseIp refuses what is not an address', () => {
    expect(parseIp('10.0.0.300')).toBeUndefined();
    expect(parseIp('10.0.0')).toBeUndefined();
    expect(parseIp('192.168.1.1')).toBe(0xc0a80101);
  });
});
