import { BarChart3, Fingerprint, Globe, Laptop, Server } from 'lucide-react';
import type { ReactNode } from 'react';
import { PageTitle } from '../../components/ui';

interface Row {
  what: string;
  kept: string;
}

function Side({ id, icon, title, intro, rows, never, neverLabel = 'Never:' }: { id: string; icon: ReactNode; title: string; intro: string; rows: Row[]; never: string; neverLabel?: string }) {
  return (
    <section aria-labelledby={id} className="rounded-xl border border-slate-200 bg-white p-5 shadow-sm sm:p-6">
      <h2 id={id} className="flex items-center gap-2 text-lg font-semibold">
        {icon}
        {title}
      </h2>
      <p className="mt-2 text-sm text-slate-700">{intro}</p>
      <div className="mt-4 overflow-x-auto">
        <table className="w-full text-left text-sm">
          <caption className="sr-only">What {title} keeps, and for how long</caption>
          <thead className="border-b border-slate-200 text-slate-700">
            <tr>
              <th scope="col" className="w-1/2 py-2 pr-4 font-medium">What is kept</th>
              <th scope="col" className="py-2 font-medium">For how long</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.what} className="border-b border-slate-100 align-top">
                <td className="py-2 pr-4">{r.what}</td>
                <td className="py-2">{r.kept}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="mt-3 text-sm">
        <strong>{neverLabel}</strong> {never}
      </p>
    </section>
  );
}

/** What each side of Phoenix keeps, from ARCHITECTURE.md's privacy invariants and the services' READMEs. */
export function PrivacyPage() {
  return (
    <div className="space-y-6">
      <PageTitle lead="Phoenix is split in two sides that share no database, no table and no identifier. One knows who you are; the other hands out VPN configs and only learns that a valid token was used.">
        What Phoenix stores
      </PageTitle>
      <Side
        id="identity-side"
        icon={<Fingerprint aria-hidden="true" className="size-5 text-orange-700" />}
        title="The account side (auth-service)"
        intro="Knows who you are, because billing needs it. It signs your anonymous tokens blind: it never sees the tokens it signs, so it cannot recognise them when they are spent."
        rows={[
          { what: 'Your email and Firebase user id, account creation time', kept: 'Until you delete your account' },
          { what: 'Subscription (status, plan, period end) and payment history (amount, status, invoice link)', kept: 'Until you delete your account; invoices stay with Stripe or Apple as the law requires' },
          { what: 'Preferences (default location, blocklist, kill switch, notifications)', kept: 'Until you delete your account' },
          { what: 'How many tokens you got per hour', kept: 'A rolling 24 hours (the daily quota), then gone' },
          { what: 'That this Firebase account once had a trial (a hash, no email)', kept: 'After deletion too, so trials cannot be repeated' },
        ]}
        never="the tokens it signed, the blinded messages or signatures, your IP address in logs, or anything about which server you connect to."
      />
      <Side
        id="network-side"
        icon={<Server aria-hidden="true" className="size-5 text-orange-700" />}
        title="The VPN side (config-service and the servers)"
        intro="Hands out configs for valid tokens. It has no access to the account side's data: separate database credentials and Redis users, enforced by the databases themselves."
        rows={[
          { what: 'A lease: your WireGuard public key, tunnel addresses, server, expiry', kept: 'Until the config expires (a day by default), then deleted, never archived' },
          { what: 'A fingerprint of each spent token, so it cannot be used twice', kept: 'Until its signing key is retired (about 16 days)' },
          { what: 'Server load and totals of connections per hour', kept: 'Aggregates only, no per-user rows' },
        ]}
        never="your email, account id, payment details or IP address; the gateway drops your address before the service sees the request."
      />
      <Side
        id="analytics-side"
        icon={<BarChart3 aria-hidden="true" className="size-5 text-orange-700" />}
        title="Anonymous statistics (analytics-service)"
        intro="Apps may send coarse, anonymous events (connection outcome, location, app version) to improve the service."
        rows={[{ what: 'Events in hourly buckets, with no user, device or address', kept: '90 days, then whole months are dropped' }]}
        never="a user id, device id or IP address; published statistics leave out groups smaller than 10."
      />
      <Side
        id="browser-side"
        icon={<Laptop aria-hidden="true" className="size-5 text-orange-700" />}
        title="This browser"
        intro="Where the private parts live. The WireGuard private key is made here and written only into the file you save."
        rows={[
          { what: 'Your Firebase session', kept: 'Until you sign out' },
          { what: 'Anonymous tokens not yet spent (IndexedDB)', kept: 'Until spent, expired, or your account is deleted' },
          { what: 'The WireGuard private key', kept: 'Only in the file you download; the page forgets it when you leave' },
        ]}
        neverLabel="Never sent to any server:"
        never="the private key — the end-to-end test checks every request this page makes for it."
      />
      <p className="flex items-start gap-2 text-sm text-slate-700">
        <Globe aria-hidden="true" className="mt-0.5 size-4 shrink-0" />
        Logs on every side redact IP addresses and secrets.
      </p>
    </div>
  );
}
