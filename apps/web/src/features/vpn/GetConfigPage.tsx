import { KeyRound, MapPin, RefreshCw, Ticket } from 'lucide-react';
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { useServices } from '../../app/services';
import { Button, Card, Loading, Notice, PageTitle } from '../../components/ui';
import type { Location } from '../../lib/api';
import { ApiError, describeError } from '../../lib/errors';
import { ConfigResult } from './ConfigResult';
import { fetchTokens, getConfig, LOW_STOCK, NoTokensError, type ConfigFile } from './vpn-flow';

const LOAD_LABEL: Record<Location['load'], string> = { low: 'Low load', medium: 'Medium load', high: 'High load' };
const LOAD_STYLE: Record<Location['load'], string> = { low: 'bg-green-100 text-green-900', medium: 'bg-amber-100 text-amber-900', high: 'bg-red-100 text-red-900' };

type Stock = { state: 'loading' } | { state: 'ready'; count: number } | { state: 'fetching'; count: number };

export function GetConfigPage() {
  const { api, tokens, now } = useServices();
  const [locations, setLocations] = useState<Location[] | null>(null);
  const [locationsError, setLocationsError] = useState<string | null>(null);
  const [selected, setSelected] = useState('auto');
  const [stock, setStock] = useState<Stock>({ state: 'loading' });
  const [tokenError, setTokenError] = useState<{ message: string; notEntitled: boolean } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [file, setFile] = useState<ConfigFile | null>(null);
  const prefetched = useRef(false);

  const loadLocations = useCallback(async () => {
    setLocationsError(null);
    try {
      setLocations(await api.locations());
    } catch (e) {
      setLocationsError(describeError(e));
    }
  }, [api]);

  const refill = useCallback(async () => {
    const count = await tokens.count(now());
    setStock({ state: 'fetching', count });
    setTokenError(null);
    try {
      setStock({ state: 'ready', count: await fetchTokens(api, tokens, now()) });
    } catch (e) {
      setTokenError({ message: describeError(e), notEntitled: e instanceof ApiError && e.code === 'NOT_ENTITLED' });
      setStock({ state: 'ready', count: await tokens.count(now()) });
    }
  }, [api, tokens, now]);

  useEffect(() => {
    void loadLocations();
    // The default location of the preferences, if any (best effort: the page works without it).
    api.preferences().then(
      (p) => p.defaultLocation && setSelected((s) => (s === 'auto' ? (p.defaultLocation as string) : s)),
      () => undefined,
    );
  }, [api, loadLocations]);

  useEffect(() => {
    // Tokens ahead of time: a batch now, so that a later redemption is not next to its issuance.
    if (prefetched.current) return;
    prefetched.current = true;
    void (async () => {
      const count = await tokens.count(now());
      setStock({ state: 'ready', count });
      if (count < LOW_STOCK) await refill();
    })();
  }, [tokens, now, refill]);

  async function redeem() {
    setBusy(true);
    setError(null);
    setFile(null);
    try {
      setFile(await getConfig(api, tokens, selected, now()));
    } catch (e) {
      setError(e instanceof NoTokensError ? e.message : describeError(e));
    } finally {
      setStock({ state: 'ready', count: await tokens.count(now()) });
      setBusy(false);
    }
  }

  const count = stock.state === 'loading' ? null : stock.count;
  const chosen = locations?.find((l) => l.id === selected);
  const canRedeem = !busy && count !== null && count > 0 && (selected === 'auto' || chosen?.available === true);

  return (
    <div className="space-y-6">
      <PageTitle lead="Your browser makes the WireGuard key and spends one anonymous token for the config. Phoenix learns that a valid token was used — not whose.">Get a config</PageTitle>

      <Card
        title="Anonymous tokens"
        titleId="tokens-title"
        icon={<Ticket aria-hidden="true" className="size-5 text-orange-700" />}
        actions={
          <Button variant="secondary" onClick={() => void refill()} busy={stock.state === 'fetching'}>
            <RefreshCw aria-hidden="true" className="size-4" />
            Fetch tokens
          </Button>
        }
      >
        <p className="min-h-6 text-sm" aria-live="polite">
          {count === null ? 'Counting tokens in this browser…' : stock.state === 'fetching' ? `Fetching tokens… (${count} in this browser)` : `${count} ${count === 1 ? 'token' : 'tokens'} ready in this browser.`}
        </p>
        <p className="mt-1 text-sm text-slate-600">Blinded here before they are signed, so the account service cannot recognise them later. Each token works once.</p>
        {tokenError ? (
          <div className="mt-3">
            <Notice kind="error">
              {tokenError.message}{' '}
              {tokenError.notEntitled ? (
                <Link to="/account" className="font-semibold underline">
                  Go to your account
                </Link>
              ) : null}
            </Notice>
          </div>
        ) : null}
      </Card>

      <Card title="Location" titleId="location-title" icon={<MapPin aria-hidden="true" className="size-5 text-orange-700" />}>
        {locationsError ? (
          <div className="space-y-3">
            <Notice kind="error">{locationsError}</Notice>
            <Button variant="secondary" onClick={() => void loadLocations()}>
              Try again
            </Button>
          </div>
        ) : !locations ? (
          <Loading label="Loading locations…" className="h-40" />
        ) : (
          <fieldset>
            <legend className="sr-only">Choose a location</legend>
            <div className="grid gap-2 sm:grid-cols-2">
              <LocationOption id="auto" title="Automatic" detail="The best available server" checked={selected === 'auto'} onSelect={setSelected} />
              {locations.map((l) => (
                <LocationOption
                  key={l.id}
                  id={l.id}
                  title={`${l.city}, ${l.country}`}
                  detail={l.available ? l.id : `${l.id} — unavailable: no server has room right now, or the location is under maintenance`}
                  badge={l.available ? <span className={`rounded px-2 py-0.5 text-xs font-medium ${LOAD_STYLE[l.load]}`}>{LOAD_LABEL[l.load]}</span> : <span className="rounded bg-slate-200 px-2 py-0.5 text-xs font-medium text-slate-800">Unavailable</span>}
                  disabled={!l.available}
                  checked={selected === l.id}
                  onSelect={setSelected}
                />
              ))}
            </div>
            {locations.length === 0 ? <p className="mt-3 text-sm text-slate-700">No locations are listed yet; “Automatic” picks any server that appears.</p> : null}
          </fieldset>
        )}
      </Card>

      <Card title="Your config" titleId="config-title" icon={<KeyRound aria-hidden="true" className="size-5 text-orange-700" />}>
        <div className="space-y-4">
          <div className="flex flex-wrap items-center gap-3">
            <Button onClick={() => void redeem()} busy={busy} disabled={!canRedeem}>
              <KeyRound aria-hidden="true" className="size-4" />
              Get config
            </Button>
            <span className="text-sm text-slate-700">{count === 0 ? 'Fetch tokens first.' : `Location: ${selected === 'auto' ? 'automatic' : selected}`}</span>
          </div>
          {error ? <Notice kind="error">{error}</Notice> : null}
          {file ? <ConfigResult file={file} /> : null}
        </div>
      </Card>
    </div>
  );
}

function LocationOption(props: { id: string; title: string; detail: string; badge?: ReactNode; disabled?: boolean; checked: boolean; onSelect: (id: string) => void }) {
  const inputId = `location-${props.id}`;
  return (
    <label
      htmlFor={inputId}
      className={`flex items-start gap-3 rounded-lg border p-3 ${props.disabled ? 'cursor-not-allowed border-slate-200 bg-slate-50 text-slate-600' : props.checked ? 'cursor-pointer border-orange-600 bg-orange-50' : 'cursor-pointer border-slate-200 hover:border-slate-400'}`}
    >
      <input id={inputId} type="radio" name="location" value={props.id} checked={props.checked} disabled={props.disabled} onChange={() => props.onSelect(props.id)} className="mt-1 accent-orange-700" aria-describedby={`${inputId}-detail`} />
      <span className="flex-1">
        <span className="flex flex-wrap items-center gap-2 font-medium">
          {props.title} {props.badge}
        </span>
        <span id={`${inputId}-detail`} className="block text-sm text-slate-700">
          {props.detail}
        </span>
      </span>
    </label>
  );
}
