import { domainOf, isReturnAddress } from './return-address';

/**
 * Who a reply is from, and whether torimatome may answer it. On its own the listener cannot know
 * who sent a message: the From header and the envelope sender are both the sender's claims. What
 * it can do is answer nobody outside the city (so a forged From cannot make it mail a third
 * party), never answer a machine (null senders, auto-replies, lists: no loops), refuse an address
 * it could not write back to exactly, and, where the city's own mail server vouches for the
 * sender in an Authentication-Results header, require that.
 */

/** Why a message is dropped unanswered; the reform office sees these counted in `cycle status`. */
export type DropReason =
  | 'malformed-from'
  | 'outside-sender'
  | 'outside-envelope'
  | 'null-sender'
  | 'auto-submitted'
  | 'unauthenticated'
  | 'own-address'
  | 'no-return-address'
  | 'forged-tag';

export type SenderVerdict = { answerable: true; address: string } | { answerable: false; reason: DropReason };

export interface SenderContext {
  /** The header lines as they came, `Key: value` with folding kept. */
  headerLines: ReadonlyArray<{ key: string; line: string }>;
  /**
   * The envelope sender as the listener got it in MAIL FROM, '' for the null sender (a bounce);
   * undefined for mail read from a mailbox, whose Return-Path is read instead, if it has one.
   */
  envelopeFrom: string | undefined;
  /** In lower case, as `cityDomainsFor` gives them. */
  cityDomains: readonly string[];
  returnAddress: string;
  /** The authserv-id of the city's mail server, whose Authentication-Results are believed. */
  trustedAuthservId?: string;
}

// RFC 5322 dot-atom: what a city's own mailboxes look like. A quoted local part (`"a,b"@city`)
// is refused rather than parsed: no city address has one, and every other reader of it differs.
const ATEXT = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const LOCAL_PART = new RegExp(`^${ATEXT}(?:\\.${ATEXT})*$`);
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** The address if `text` is one plain addr-spec (`local@domain.example`), in lower case; else undefined. */
export function plainAddress(text: string): string | undefined {
  const at = text.lastIndexOf('@');
  if (at <= 0) return undefined;
  const local = text.slice(0, at);
  const domain = text.slice(at + 1);
  const labels = domain.split('.');
  if (local.length > 64 || domain.length > 253 || !LOCAL_PART.test(local)) return undefined;
  if (labels.length < 2 || !labels.every((label) => LABEL.test(label))) return undefined;
  return text.toLowerCase();
}

const headerValue = (line: string) => line.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]/g, ' ').trim();

/** The values of a header, unfolded, in the order they came (the topmost, added last, first). */
export const headerValues = (headerLines: SenderContext['headerLines'], key: string) => headerLines.filter((h) => h.key === key).map((h) => headerValue(h.line));
const headers = (context: SenderContext, key: string) => headerValues(context.headerLines, key);

/**
 * The one mailbox of a From header: `addr-spec` or `display-name <addr-spec>`. The display
 * name may hold quoted strings and encoded words; a list, a group, a comment or a second
 * angle bracket is no From that can be answered.
 */
export function fromAddress(value: string): string | undefined {
  const angle = /<([^<>]*)>$/.exec(value);
  if (!angle) return plainAddress(value);
  const display = value.slice(0, angle.index).replace(/"(?:[^"\\\r\n]|\\.)*"/g, '');
  if (/[<>@,;:"\\()[\]]/.test(display)) return undefined;
  return plainAddress(angle[1]!);
}

const AUTO_PRECEDENCE = new Set(['bulk', 'junk', 'list', 'auto_reply']);

/** RFC 3834: mail a machine sent is not answered, or two machines answer each other for ever. */
function isAutomatic(context: SenderContext): boolean {
  const auto = headers(context, 'auto-submitted').some((value) => value.split(';')[0]!.trim().toLowerCase() !== 'no');
  const precedence = headers(context, 'precedence').some((value) => AUTO_PRECEDENCE.has(value.toLowerCase()));
  return auto || precedence || headers(context, 'list-id').length > 0;
}

/**
 * Whether the trusted server's topmost Authentication-Results vouches for the From domain:
 * DMARC passed for it, DKIM passed with its domain as signer, or SPF passed for an envelope
 * sender in it (RFC 8601). Results under any other authserv-id may be the sender's own words.
 */
function vouchedFor(context: SenderContext, fromDomain: string): boolean {
  const trusted = context.trustedAuthservId!.toLowerCase();
  const results = headers(context, 'authentication-results').find((value) => value.split(';')[0]!.trim().split(/\s+/)[0]!.toLowerCase() === trusted);
  if (!results) return false;
  return results
    .split(';')
    .slice(1)
    .some((result) => {
      const words = result.replace(/\([^)]*\)/g, ' ').trim().toLowerCase().split(/\s+/);
      const [method, outcome] = words[0]!.split('=');
      const property = (name: string) => words.find((word) => word.startsWith(`${name}=`))?.slice(name.length + 1);
      if (outcome !== 'pass') return false;
      if (method === 'dmarc') return property('header.from') === fromDomain;
      if (method === 'dkim') return property('header.d') === fromDomain;
      if (method === 'spf') return domainOf(property('smtp.mailfrom') ?? '') === fromDomain;
      return false;
    });
}

export function judgeSender(context: SenderContext): SenderVerdict {
  const drop = (reason: DropReason): SenderVerdict => ({ answerable: false, reason });
  const envelopeFrom = (context.envelopeFrom ?? headers(context, 'return-path')[0])?.replace(/^<|>$/g, '');
  if (envelopeFrom === '') return drop('null-sender');
  if (isAutomatic(context)) return drop('auto-submitted');
  const fromHeaders = headers(context, 'from');
  const address = fromHeaders.length === 1 ? fromAddress(fromHeaders[0]!) : undefined;
  if (!address) return drop('malformed-from');
  if (!context.cityDomains.includes(domainOf(address))) return drop('outside-sender');
  if (envelopeFrom !== undefined) {
    const envelope = plainAddress(envelopeFrom);
    if (!envelope || !context.cityDomains.includes(domainOf(envelope))) return drop('outside-envelope');
  }
  if (isReturnAddress(address, context.returnAddress)) return drop('own-address');
  if (context.trustedAuthservId && !vouchedFor(context, domainOf(address))) return drop('unauthenticated');
  return { answerable: true, address };
}
