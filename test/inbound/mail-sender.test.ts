import { describe, expect, it } from 'vitest';
import { fromAddress, judgeSender, type SenderContext } from '../../inbound/mail-sender';

const MX = 'mx.city.arao.example';

/** A context for a message with these header lines, from somu through the city's own server. */
function context(lines: string[], changes: Partial<SenderContext> = {}): SenderContext {
  return {
    headerLines: lines.map((line) => ({ key: line.slice(0, line.indexOf(':')).toLowerCase(), line })),
    envelopeFrom: 'somu@city.arao.example',
    cityDomains: ['city.arao.example'],
    returnAddress: 'returns@city.arao.example',
    ...changes,
  };
}

const FROM = 'From: 総務課 <somu@city.arao.example>';

describe('fromAddress: the one mailbox a From header names', () => {
  it.each([
    ['somu@city.arao.example', 'somu@city.arao.example'],
    ['Somu <SOMU@City.Arao.Example>', 'somu@city.arao.example'],
    ['"荒尾市 総務課, 係長" <somu@city.arao.example>', 'somu@city.arao.example'],
    ['=?UTF-8?B?57eP5YuZ6Kqy?= <somu@city.arao.example>', 'somu@city.arao.example'],
  ])('reads %s', (value, address) => {
    expect(fromAddress(value)).toBe(address);
  });

  it.each([
    ['"x@evil.example,"@city.arao.example'],
    ['"<victim@evil.example>"@city.arao.example'],
    ['somu@city.arao.example, victim@evil.example'],
    ['somu@city.arao.example <victim@evil.example>'],
    ['group: somu@city.arao.example;'],
    ['<somu@city.arao.example> <victim@evil.example>'],
    ['somu@city.arao.example (comment)'],
    ['somu@localhost'],
    [''],
  ])('refuses %s', (value) => {
    expect(fromAddress(value)).toBeUndefined();
  });
});

describe('judgeSender', () => {
  it('answers a division in the city, through a server in the city', () => {
    expect(judgeSender(context([FROM]))).toEqual({ answerable: true, address: 'somu@city.arao.example' });
    expect(judgeSender(context([FROM], { envelopeFrom: undefined }))).toEqual({ answerable: true, address: 'somu@city.arao.example' });
  });

  it.each([
    ['Auto-Submitted: auto-replied', 'auto-submitted'],
    ['Auto-Submitted: auto-generated; owner-email="x@city.arao.example"', 'auto-submitted'],
    ['Precedence: junk', 'auto-submitted'],
    ['List-Id: <news.city.arao.example>', 'auto-submitted'],
    ['From: victim@third-party.example', 'malformed-from'],
  ])('drops a message with %s', (line, reason) => {
    expect(judgeSender(context([FROM, line]))).toEqual({ answerable: false, reason });
  });

  it('answers a person who says Auto-Submitted: no', () => {
    expect(judgeSender(context([FROM, 'Auto-Submitted: no'])).answerable).toBe(true);
  });

  it('drops the null sender, a sender outside the city, an envelope outside it, and its own return address', () => {
    expect(judgeSender(context([FROM], { envelopeFrom: '' }))).toEqual({ answerable: false, reason: 'null-sender' });
    expect(judgeSender(context(['From: victim@third-party.example']))).toEqual({ answerable: false, reason: 'outside-sender' });
    expect(judgeSender(context([FROM], { envelopeFrom: 'x@evil.example' }))).toEqual({ answerable: false, reason: 'outside-envelope' });
    expect(judgeSender(context(['From: returns+abc@city.arao.example']))).toEqual({ answerable: false, reason: 'own-address' });
  });

  describe('with the city server named as the one whose Authentication-Results count', () => {
    const trusted = (lines: string[]) => judgeSender(context([...lines, FROM], { trustedAuthservId: MX }));

    it.each([
      [`Authentication-Results: ${MX}; dmarc=pass (p=none) header.from=city.arao.example`],
      [`Authentication-Results: ${MX}; spf=fail smtp.mailfrom=somu@city.arao.example; dkim=pass header.d=city.arao.example header.s=sel`],
      [`Authentication-Results: ${MX};\r\n\tspf=pass smtp.mailfrom=somu@city.arao.example`],
    ])('answers what it vouches for: %s', (line) => {
      expect(trusted([line]).answerable).toBe(true);
    });

    it.each([
      ['no Authentication-Results', []],
      ['a failed DMARC', [`Authentication-Results: ${MX}; dmarc=fail header.from=city.arao.example`]],
      ['a pass for another domain', [`Authentication-Results: ${MX}; dkim=pass header.d=evil.example`]],
      ['a pass under another authserv-id, which the sender may have written', ['Authentication-Results: mx.evil.example; dmarc=pass header.from=city.arao.example']],
      ['a pass below the topmost result of the city server', [`Authentication-Results: ${MX}; dmarc=fail header.from=city.arao.example`, `Authentication-Results: ${MX}; dmarc=pass header.from=city.arao.example`]],
    ])('drops %s', (_, lines) => {
      expect(trusted(lines)).toEqual({ answerable: false, reason: 'unauthenticated' });
    });
  });
});
