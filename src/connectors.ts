// What Exchange setup creates: the built-in receive connectors' names and the values a new
// connector starts with (reference §1.2, §1.4, §1.5). Model-level: the audit, apply and the
// migration all ask here.

/**
 * Base names of the connectors setup creates, each named `<base> <server>`: 2013+ Mailbox
 * servers (Default Frontend, Client Frontend, Outbound Proxy Frontend, Default, Client Proxy)
 * and 2010 Hub Transport servers (Default, Client).
 */
export const BUILT_IN_CONNECTOR_BASES: readonly string[] = ['Default', 'Client', 'Client Proxy', 'Default Frontend', 'Outbound Proxy Frontend', 'Client Frontend'];

/**
 * The built-in connector's base name (`Default Frontend`) when setup created `c`, else null.
 * Known by its name alone, whatever TransportRole the export holds (rules.md: built-ins are
 * never custom): `<base> <server>`, the server as its NetBIOS name (an FQDN's first label);
 * when the export names no server (a `Format-List` capture without Identity's server part),
 * `<base> <one word>`.
 */
export function builtInConnectorBase(c: { name: string; server: string }): string | null {
  const lower = c.name.trim().toLowerCase();
  const server = c.server.trim().toLowerCase();
  const netbios = server.split('.')[0] ?? server;
  for (const base of BUILT_IN_CONNECTOR_BASES) {
    const prefix = `${base.toLowerCase()} `;
    if (!lower.startsWith(prefix)) continue;
    const suffix = lower.slice(prefix.length);
    if (server === '' ? /^[a-z0-9][a-z0-9-]*$/.test(suffix) : suffix === server || suffix === netbios) return base;
  }
  return null;
}

/** MaxMessageSize of a new connector: 36 MB. */
export const DEFAULT_MAX_MESSAGE_SIZE = 37748736;
/** MaxRecipientsPerMessage of a new connector. */
export const DEFAULT_MAX_RECIPIENTS_PER_MESSAGE = 200;

/** §3.2 Banner rule: a valid SMTP 220 reply, at most 50 lines of at most 2000 characters. */
export function bannerProblem(banner: string): string | null {
  const lines = banner.split(/\r\n|\n|\r/);
  if (lines.length > 50) return 'Banner has more than 50 lines';
  if (lines.some((l) => l.length > 2000)) return 'Banner has a line longer than 2000 characters';
  if (!lines.every((l) => /^220(?:[ -]|$)/.test(l))) return 'Banner must be an SMTP reply with code 220 (e.g. "220 mail.example.com")';
  return null;
}
