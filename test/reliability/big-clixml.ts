// Writes a large, well-formed remote-session Export-Clixml of receive connectors (streamed to
// disk, never held in memory), for the "1 GB export" checks of npm test (small) and
// npm run soak (1 GB).
import { closeSync, openSync, writeSync } from 'node:fs';

function range(n: number): string {
  return `10.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function connector(i: number, ranges: number, firstRange: number): string {
  const server = `EX${String(i % 40).padStart(2, '0')}`;
  const name = `Relay ${i}`;
  const items: string[] = [];
  for (let k = 0; k < ranges; k++) items.push(`<S>${range(firstRange + k)}</S>`);
  return [
    `<Obj RefId="${i}"><TN RefId="${i}t"><T>Deserialized.Microsoft.Exchange.Data.Directory.SystemConfiguration.ReceiveConnector</T><T>Deserialized.System.Object</T></TN>`,
    `<ToString>${server}\\${name}</ToString><Props>`,
    `<S N="Identity">${server}\\${name}</S><S N="Name">${name}</S><S N="Server">${server}</S><B N="Enabled">true</B>`,
    '<S N="PermissionGroups">AnonymousUsers</S><S N="AuthMechanism">Tls</S><S N="TransportRole">FrontendTransport</S>',
    '<S N="ProtocolLoggingLevel">None</S><B N="RequireTLS">false</B><B N="DomainSecureEnabled">false</B>',
    '<S N="MaxMessageSize">36 MB (37,748,736 bytes)</S><I32 N="MaxRecipientsPerMessage">200</I32>',
    `<Obj N="Bindings" RefId="${i}b"><LST><S>0.0.0.0:25</S></LST></Obj>`,
    `<Obj N="RemoteIPRanges" RefId="${i}r"><LST>${items.join('')}</LST></Obj>`,
    '</Props></Obj>',
  ].join('\r\n');
}

/**
 * Writes at least `targetBytes` of CLIXML to `path` (UTF-8, or UTF-16LE with BOM as Windows
 * PowerShell 5.1 writes it). Returns the number of connectors written.
 */
export function writeBigClixml(path: string, targetBytes: number, encoding: 'utf-8' | 'utf-16le' = 'utf-8'): number {
  const fd = openSync(path, 'w');
  let written = 0;
  const write = (s: string): void => {
    const bytes = Buffer.from(s, encoding === 'utf-8' ? 'utf8' : 'utf16le');
    writeSync(fd, bytes);
    written += bytes.length;
  };
  try {
    if (encoding === 'utf-16le') { writeSync(fd, Buffer.from([0xff, 0xfe])); written += 2; }
    write('<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">\r\n');
    let i = 0;
    while (written < targetBytes) {
      write(`${connector(i, 1000, i * 1000)}\r\n`);
      i++;
    }
    write('</Objs>\r\n');
    return i;
  } finally {
    closeSync(fd);
  }
}
