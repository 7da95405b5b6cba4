// Writes the demo estate's logs (fixtures/estate-2010-2016/logs): four days of message tracking
// logs of all four servers, and SMTP receive protocol logs where the estate's connectors have
// protocol logging on (ProtocolLoggingLevel Verbose), of the same traffic. Deterministic: the
// same files on every run. Run: node --import tsx scripts/generate-demo-logs.ts [OUTPUT_DIR]
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeProtocolLogsFor, writeTrackingLogs, type Host, type TrackedSender } from '../bench/lib/tracking-generator.js';

const OUT = process.argv[2] === undefined ? fileURLToPath(new URL('../fixtures/estate-2010-2016/logs/', import.meta.url)) : `${resolve(process.argv[2])}/`;
const START = '2026-11-02';

const CMEX10A: Host = { name: 'CMEX10A', ip: '10.20.0.11' };
const CMEX10B: Host = { name: 'CMEX10B', ip: '10.20.0.12' };
const CMEX16A: Host = { name: 'CMEX16A', ip: '10.20.0.21' };
const CMEX16B: Host = { name: 'CMEX16B', ip: '10.20.0.22' };

type Demo = TrackedSender & { reached: string; protocolLogged: boolean };
const mfg = (local: string): { address: string } => ({ address: `${local}@contoso-mfg.example` });

// Exchange 2010: the hub logs the device and the connector it reached. Only App Relay logs protocol.
const old: Demo[] = [
  { device: '10.20.40.21', entry: CMEX10A, hub: CMEX10A, loggedConnector: 'CMEX10A\\Relay Printers CMEX10A', reached: 'CMEX10A\\Relay Printers CMEX10A', protocolLogged: false,
    mailFrom: 'copier-1f@contoso-mfg.example', recipients: [mfg('facilities')], perDay: [6, 7, 5, 6], hostName: 'copier-1f.contoso-mfg.example', subject: 'Scanned document, 3 pages' },
  { device: '10.20.41.15', entry: CMEX10A, hub: CMEX10A, loggedConnector: 'CMEX10A\\Relay Printers CMEX10A', reached: 'CMEX10A\\Relay Printers CMEX10A', protocolLogged: false,
    mailFrom: 'scanner-dock@contoso-mfg.example', recipients: [mfg('receiving')], perDay: [2, 3, 1, 2], hostName: 'scanner-dock.contoso-mfg.example' },
  { device: '10.20.44.7', entry: CMEX10B, hub: CMEX10B, loggedConnector: 'CMEX10B\\Relay Printers CMEX10B', reached: 'CMEX10B\\Relay Printers CMEX10B', protocolLogged: false,
    mailFrom: 'copier-old@contoso-mfg.example', recipients: [mfg('facilities')], perDay: [1, 0, 1, 0] },
  { device: '10.30.5.5', entry: CMEX10A, hub: CMEX10A, alsoTo: CMEX10B, loggedConnector: 'CMEX10A\\SMTP Relay - Allow All CMEX10A', reached: 'CMEX10A\\SMTP Relay - Allow All CMEX10A', protocolLogged: false,
    mailFrom: 'alerts@monitoring.contoso-mfg.example', recipients: [mfg('ops'), { address: 'oncall@pager.example', external: true }], perDay: [9, 8, 10, 9], hostName: 'nagios01.contoso-mfg.example', subject: 'PROBLEM: disk, /var 95%' },
  { device: '10.20.60.10', entry: CMEX10A, hub: CMEX10A, loggedConnector: 'CMEX10A\\App Relay CMEX10A', reached: 'CMEX10A\\App Relay CMEX10A', protocolLogged: true,
    mailFrom: 'erp@contoso-parts.example', recipients: [mfg('purchasing'), { address: 'orders@fabrikam.example', external: true }], perDay: [12, 11, 13, 12], hostName: 'erp01.contoso-mfg.example', subject: 'PO 4711, delivery note' },
];

// Exchange 2016: the Front End proxies to a hub (either server), which logs the Front End as
// client-ip and the device as original-client-ip.
const current: Demo[] = [
  { device: '10.20.40.22', entry: CMEX16A, hub: CMEX16B, loggedConnector: 'CMEX16B\\Default CMEX16B', reached: 'CMEX16A\\Relay Printers CMEX16A', protocolLogged: true,
    mailFrom: 'printer-2f@contoso-mfg.example', recipients: [mfg('anna'), mfg('ben')], perDay: [4, 3, 4, 5] },
  { device: '10.20.60.11', entry: CMEX16B, hub: CMEX16B, alsoTo: CMEX16A, loggedConnector: 'CMEX16B\\Default CMEX16B', reached: 'CMEX16B\\App Relay CMEX16B', protocolLogged: true,
    mailFrom: 'erp@contoso-parts.example', recipients: [mfg('purchasing'), { address: 'orders@fabrikam.example', external: true }], perDay: [6, 7, 6, 6] },
  { device: '198.51.100.20', entry: CMEX16A, hub: CMEX16A, loggedConnector: 'CMEX16A\\Default CMEX16A', reached: 'CMEX16A\\Partner Fabrikam Logistics CMEX16A', protocolLogged: true,
    mailFrom: 'dispatch@fabrikam.example', recipients: [mfg('logistics')], perDay: [3, 2, 3, 2] },
  { device: '203.0.113.50', entry: CMEX16B, hub: CMEX16A, loggedConnector: 'CMEX16A\\Default CMEX16A', reached: 'CMEX16B\\Default Frontend CMEX16B', protocolLogged: true,
    mailFrom: 'news@newsletter.example', recipients: [mfg('info')], perDay: [1, 1, 1, 1] },
];

rmSync(OUT, { recursive: true, force: true });
const outlook = ['10.20.70.31', '10.20.70.32', '10.20.70.33'];
const files = [
  ...(await writeTrackingLogs(`${OUT}tracking`, old, { version: '2010', start: START, fileBytes: 64 * 1024, gzipEvery: 3, seed: 2010,
    submissions: [{ mailbox: CMEX10A, outlookClients: outlook, perDay: [5, 5, 5, 5] }] })).files,
  ...(await writeTrackingLogs(`${OUT}tracking`, current, { version: '2016', start: START, fileBytes: 64 * 1024, gzipEvery: 3, seed: 2016,
    submissions: [{ mailbox: CMEX16A, outlookClients: outlook, perDay: [5, 5, 5, 5] }] })).files,
  ...await writeProtocolLogsFor(`${OUT}protocol`, old.filter((d) => d.protocolLogged), { version: '2010', start: START, seed: 10 }),
  ...await writeProtocolLogsFor(`${OUT}protocol`, current.filter((d) => d.protocolLogged), { version: '2016', start: START, seed: 16 }),
];
process.stdout.write(`wrote ${files.length} log files under ${OUT}\n`);
