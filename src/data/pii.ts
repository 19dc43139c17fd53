/**
 * PII scrubbing: e-mail addresses, phone numbers and IP addresses (v4 and v6) are
 * replaced by the placeholders `<EMAIL>`, `<PHONE>` and `<IP>`.
 *
 * @example
 * const c = newPiiCounts();
 * scrubPii('mail bob@example.com or call +1 (555) 123-4567 from 10.0.0.1', c);
 * // 'mail <EMAIL> or call <PHONE> from <IP>'   (c = { email: 1, phone: 1, ip: 1 })
 */
import { isIPv6 } from 'node:net';

export interface PiiCounts {
  email: number;
  phone: number;
  ip: number;
}

export function newPiiCounts(): PiiCounts {
  return { email: 0, phone: 0, ip: 0 };
}

const EMAIL = /[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}/g;
const IPV4 = /(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w.]|\.\d)/g;
// Candidate IPv6: hex groups with colons (validated with node:net isIPv6; times like 12:30:45 fail it).
const IPV6 = /(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|:)?(?![\w:])/g;
const IPV6_HINT = /::|[0-9A-Fa-f]:[0-9A-Fa-f]{1,4}:/;
// Phone: optional +country, optional (area), then groups of digits joined by space, dot or dash.
const PHONE = /(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]\d{2,4}){1,4}(?![\w])/g;

/** Replaces e-mails, IPs and phone numbers in `text`; adds the counts to `counts`. */
export function scrubPii(text: string, counts: PiiCounts): string {
  if (text.includes('@')) {
    text = text.replace(EMAIL, () => { counts.email++; return '<EMAIL>'; });
  }
  if (text.includes('.')) {
    text = text.replace(IPV4, () => { counts.ip++; return '<IP>'; });
  }
  if (text.includes(':') && IPV6_HINT.test(text)) {
    text = text.replace(IPV6, (m) => {
      if (!isIPv6(m) || !/[0-9A-Fa-f]/.test(m) || (m.match(/:/g) ?? []).length < 2 || (!m.includes('::') && m.split(':').length < 8)) return m;
      counts.ip++;
      return '<IP>';
    });
  }
  if (/\d{2}/.test(text)) {
    text = text.replace(PHONE, (m) => {
      const digits = m.replace(/\D/g, '').length;
      // 7..15 digits (E.164 allows 15); looks like a date or a year range otherwise.
      if (digits < 7 || digits > 15) return m;
      if (/^\d{4}[-./]\d{1,2}[-./]\d{1,2}$/.test(m) || /^\d{1,2}[-./]\d{1,2}[-./]\d{4}$/.test(m)) return m;
      // Groups joined only by spaces ("in 1990 2000 people") need a prefix or 10+ digits.
      if (!/[.()+-]/.test(m) && digits < 10) return m;
      counts.phone++;
      return '<PHONE>';
    });
  }
  return text;
}
