import { divisionById, type DivisionDirectory } from '../domain/division-directory';

/**
 * Where divisions send their returns by mail, and whose mail is taken: set for a city's own
 * mail server, else derived from the reform office's address in the directory.
 */
export interface InboundSettings {
  /** The base of page links in mails, e.g. https://torimatome.city.example (the web server's address by default). */
  publicUrl?: string;
  /** The mailbox replies go to, e.g. returns@city.example; each division's Reply-To adds its tag. */
  returnAddress?: string;
  /** Domains whose senders may hand in returns by mail; by default those of the directory's addresses. */
  cityDomains?: string[];
  /**
   * The authserv-id of the city's mail server (e.g. mx.city.example): when set, a reply is taken
   * only if that server's Authentication-Results header vouches for its From domain.
   */
  trustedAuthservId?: string;
}

/** The domain of an address, in lower case. */
export const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

export function returnAddressFor(settings: InboundSettings, directory: DivisionDirectory): string {
  return settings.returnAddress ?? `returns@${domainOf(divisionById(directory, directory.reformOffice).contact)}`;
}

export function cityDomainsFor(settings: InboundSettings, directory: DivisionDirectory): string[] {
  if (settings.cityDomains && settings.cityDomains.length > 0) return settings.cityDomains.map((d) => d.toLowerCase());
  const addresses = [...directory.divisions.map((d) => d.contact), ...directory.departments.map((d) => d.head)];
  return [...new Set(addresses.filter((a) => a.includes('@')).map(domainOf))];
}

/** `returns@city.example` → `returns+<tag>@city.example`. */
export function replyAddress(returnAddress: string, tag: string): string {
  const at = returnAddress.lastIndexOf('@');
  return `${returnAddress.slice(0, at)}+${tag}${returnAddress.slice(at)}`;
}

/** The tag of a `returns+<tag>@…` address, in lower case, or undefined. */
export function tagOf(address: string, returnAddress: string): string | undefined {
  const at = returnAddress.lastIndexOf('@');
  const local = returnAddress.slice(0, at).toLowerCase();
  const domain = returnAddress.slice(at + 1).toLowerCase();
  const m = /^([^@]+)\+([^@+]+)@([^@]+)$/.exec(address.trim().toLowerCase());
  return m && m[1] === local && m[3] === domain ? m[2] : undefined;
}

/** Whether mail to `address` is mail to the return address, plain or with a division's tag. */
export function isReturnAddress(address: string, returnAddress: string): boolean {
  return address.toLowerCase() === returnAddress.toLowerCase() || tagOf(address, returnAddress) !== undefined;
}
