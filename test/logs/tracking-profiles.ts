// Devices of the demo estate (fixtures/estate-2010-2016) as message tracking traffic, with the
// connector each really reached: the known answers of the tracking-log tests.
import type { Host, MailboxSubmissions, TrackedSender } from '../../bench/lib/tracking-generator.js';

export const CMEX10A: Host = { name: 'CMEX10A', ip: '10.20.0.11' };
export const CMEX10B: Host = { name: 'CMEX10B', ip: '10.20.0.12' };
export const CMEX16A: Host = { name: 'CMEX16A', ip: '10.20.0.21' };
export const CMEX16B: Host = { name: 'CMEX16B', ip: '10.20.0.22' };

export interface Known extends TrackedSender { reached: string }

const internal = (local: string): { address: string } => ({ address: `${local}@contoso-mfg.example` });

/** 2016: every device goes through a Front End; the hub that logs it may be the other server. */
export function devices2016(): Known[] {
  return [
    { device: '10.20.40.22', entry: CMEX16A, hub: CMEX16B, loggedConnector: 'CMEX16B\\Default CMEX16B', reached: 'CMEX16A\\Relay Printers CMEX16A',
      mailFrom: 'scanner-2f@contoso-mfg.example', recipients: [internal('anna'), internal('ben'), { address: 'gone@contoso-mfg.example', fail: true }], perDay: [5, 7, 0, 3] },
    { device: '10.20.60.11', entry: CMEX16B, hub: CMEX16B, alsoTo: CMEX16A, loggedConnector: 'CMEX16B\\Default CMEX16B', reached: 'CMEX16B\\App Relay CMEX16B',
      mailFrom: 'erp@contoso-parts.example', recipients: [internal('purchasing'), { address: 'orders@fabrikam.example', external: true }], perDay: [10, 10, 10, 10] },
    { device: '198.51.100.20', entry: CMEX16A, hub: CMEX16A, loggedConnector: 'CMEX16A\\Default CMEX16A', reached: 'CMEX16A\\Partner Fabrikam Logistics CMEX16A',
      mailFrom: 'dispatch@fabrikam.example', recipients: [internal('logistics')], perDay: [2, 0, 2, 0] },
    { device: '203.0.113.50', entry: CMEX16B, hub: CMEX16A, loggedConnector: 'CMEX16A\\Default CMEX16A', reached: 'CMEX16B\\Default Frontend CMEX16B',
      mailFrom: 'news@newsletter.example', recipients: [internal('info')], perDay: [1, 1, 1, 1] },
  ];
}

/** 2010: hubs log the device and the connector it reached directly. */
export function devices2010(): Known[] {
  return [
    { device: '10.20.40.21', entry: CMEX10A, hub: CMEX10A, loggedConnector: 'CMEX10A\\Relay Printers CMEX10A', reached: 'CMEX10A\\Relay Printers CMEX10A',
      mailFrom: 'copier-1f@contoso-mfg.example', recipients: [internal('anna')], perDay: [4, 4, 4], hostName: 'copier-1f.contoso-mfg.example' },
    { device: '10.30.5.5', entry: CMEX10A, hub: CMEX10A, alsoTo: CMEX10B, loggedConnector: 'CMEX10A\\SMTP Relay - Allow All CMEX10A', reached: 'CMEX10A\\SMTP Relay - Allow All CMEX10A',
      mailFrom: 'alerts@monitoring.contoso-mfg.example', recipients: [internal('ops'), { address: 'oncall@pager.example', external: true }, { address: 'old@pager.example', external: true, fail: true }], perDay: [6, 0, 9] },
    { device: '10.20.44.7', entry: CMEX10B, hub: CMEX10B, loggedConnector: 'CMEX10B\\Relay Printers CMEX10B', reached: 'CMEX10B\\Relay Printers CMEX10B',
      mailFrom: 'scanner@contoso-mfg.example', recipients: [internal('ben')], perDay: [1, 2, 3] },
  ];
}

export function submissions(version: '2010' | '2016'): MailboxSubmissions[] {
  const mailbox = version === '2010' ? CMEX10A : CMEX16A;
  return [{ mailbox, outlookClients: ['198.51.100.200', '198.51.100.201'], perDay: [20, 20, 20] }];
}

export const total = (perDay: readonly number[]): number => perDay.reduce((n, x) => n + x, 0);
