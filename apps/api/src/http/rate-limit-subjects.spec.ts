import { accountKey, clientAddress } from './rate-limit-subjects.js';

describe(clientAddress.name, () => {
  it('keeps an IPv4 address as it is', () => {
    expect(clientAddress('192.0.2.7')).toBe('192.0.2.7');
  });

  it('counts an IPv4 client that reached a dual-stack socket as that IPv4 address', () => {
    expect(clientAddress('::ffff:192.0.2.7')).toBe('192.0.2.7');
  });

  it('counts every address of one IPv6 /64 as one client', () => {
    expect(clientAddress('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(clientAddress('2001:0db8:0001:0002::1')).toBe('2001:db8:1:2::/64');
  });

  it('tells neighbouring IPv6 /64s apart', () => {
    expect(clientAddress('2001:db8:1:3::1')).not.toBe(clientAddress('2001:db8:1:2::1'));
  });

  it('counts a request without a usable address under one shared subject', () => {
    expect(clientAddress(undefined)).toBe('unknown');
    expect(clientAddress('not an address')).toBe('unknown');
  });
});

describe(accountKey.name, () => {
  it('gives the same key to an email whatever its case and surrounding spaces', () => {
    expect(accountKey(' Ada@Example.COM ')).toBe(accountKey('ada@example.com'));
  });

  it('never contains the address itself', () => {
    expect(accountKey('ada@example.com')).not.toMatch(/ada|example/);
    expect(accountKey('ada@example.com')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('gives different emails different keys', () => {
    expect(accountKey('ada@example.com')).not.toBe(accountKey('grace@example.com'));
  });
});
