// What Exchange setup creates: the built-in receive connectors' names and the values a new
// connector starts with (reference §1.2, §1.4, §1.5). Model-level: the audit, apply and the
// migration all ask here.

/**
 * Base names of the connectors setup creates, each named `<base> <server>`: 2013+ Mailbox
 * servers (Default Frontend, Client Frontend, Outbound Proxy Frontend, Default, Client Proxy)
 * and 2010 Hub Transport servers (Default, Client).
 */
export const BUILT_IN_CONNECTOR_BASES: readonly string[] = ['Default', 'Client', 'Client Proxy', 'Default Frontend', 'Outbound Proxy Frontend', 'Client Frontend'];

/** The built-in connector's base name (`Default Frontend`) when setup created `c`, else null. */
export function builtInConnectorBase(c: { name: string; server: string }): string | null {
  const lower = c.name.toLowerCase();
  const server = c.server.toLowerCase();
  for (const base of BUILT_IN_CONNECTOR_BASES) {
    if (lower === `${base.toLowerCase()} ${server}`) return base;
  }
  return null;
}

/** MaxMessageSize of a new connector: 36 MB. */
export const DEFAULT_MAX_MESSAGE_SIZE = 37748736;
/** MaxRecipientsPerMessage of a new connector. */
export const DEFAULT_MAX_RECIPIENTS_PER_MESSAGE = 200;
