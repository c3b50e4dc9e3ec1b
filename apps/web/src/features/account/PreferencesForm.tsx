import { SlidersHorizontal } from 'lucide-react';
import { useEffect, useId, useState, type FormEvent } from 'react';
import { useServices } from '../../app/services';
import { Button, Card, Notice } from '../../components/ui';
import type { Location, Preferences } from '../../lib/api';
import { describeError } from '../../lib/errors';

/** The same rule as auth-service (LOCATION_ID): a country code, a dash, 2-16 lower-case letters or digits. */
export const LOCATION_ID = /^[a-z]{2}-[a-z0-9]{2,16}$/;

/** What is wrong with the preferences before they are sent (auth-service checks again). */
export function validatePreferences(p: Preferences, known: readonly string[] | null): string | null {
  if (p.defaultLocation === null) return null;
  if (!LOCATION_ID.test(p.defaultLocation)) return 'The default location must look like “de-fra”.';
  if (known && !known.includes(p.defaultLocation)) return `There is no location “${p.defaultLocation}”.`;
  return null;
}

export function PreferencesForm({ initial, onSaved }: { initial: Preferences; onSaved: (p: Preferences) => void }) {
  const { api } = useServices();
  const id = useId();
  const [prefs, setPrefs] = useState<Preferences>(initial);
  const [locations, setLocations] = useState<Location[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api.locations().then(setLocations, () => setLocations(null));
  }, [api]);

  const set = (patch: Partial<Preferences>) => {
    setPrefs((p) => ({ ...p, ...patch }));
    setSaved(false);
  };

  async function submit(e: FormEvent) {
    e.preventDefault();
    const invalid = validatePreferences(prefs, locations ? locations.map((l) => l.id) : null);
    setError(invalid);
    setSaved(false);
    if (invalid) return;
    setBusy(true);
    try {
      const stored = await api.savePreferences(prefs);
      setPrefs(stored);
      onSaved(stored);
      setSaved(true);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  const options = locations ?? [];
  const known = prefs.defaultLocation === null || options.some((l) => l.id === prefs.defaultLocation);
  const toggle = (key: string, label: string, checked: boolean, onChange: (v: boolean) => void, help: string) => (
    <div className="flex items-start gap-3">
      <input id={`${id}-${key}`} type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} className="mt-1 size-4 accent-orange-700" aria-describedby={`${id}-${key}-help`} />
      <div>
        <label htmlFor={`${id}-${key}`} className="font-medium">
          {label}
        </label>
        <p id={`${id}-${key}-help`} className="text-sm text-slate-700">
          {help}
        </p>
      </div>
    </div>
  );

  return (
    <Card title="Preferences" titleId="preferences-title" icon={<SlidersHorizontal aria-hidden="true" className="size-5 text-orange-700" />}>
      <form noValidate onSubmit={submit} className="space-y-4">
        <div>
          <label htmlFor={`${id}-location`} className="block font-medium">
            Default location
          </label>
          <select
            id={`${id}-location`}
            value={prefs.defaultLocation ?? ''}
            onChange={(e) => set({ defaultLocation: e.target.value || null })}
            className="mt-1 block w-full max-w-sm rounded-md border border-slate-300 bg-white px-3 py-2"
          >
            <option value="">Automatic (best available)</option>
            {options.map((l) => (
              <option key={l.id} value={l.id}>
                {l.city}, {l.country} ({l.id})
              </option>
            ))}
            {!known && prefs.defaultLocation ? <option value={prefs.defaultLocation}>{prefs.defaultLocation}</option> : null}
          </select>
        </div>
        {toggle('blocklist', 'Block ads and trackers', prefs.blocklistEnabled, (v) => set({ blocklistEnabled: v }), 'The apps filter with the published blocklist on your device.')}
        {toggle('killswitch', 'Kill switch', prefs.killSwitch, (v) => set({ killSwitch: v }), 'The apps block traffic outside the tunnel while it reconnects.')}
        <fieldset className="space-y-3">
          <legend className="font-medium">Notifications</legend>
          {toggle('email', 'Email', prefs.notifications.email, (v) => set({ notifications: { ...prefs.notifications, email: v } }), 'Billing and account mail.')}
          {toggle('push', 'Push', prefs.notifications.push, (v) => set({ notifications: { ...prefs.notifications, push: v } }), 'Notifications in the mobile apps.')}
        </fieldset>
        {error ? <Notice kind="error">{error}</Notice> : null}
        {saved ? <Notice kind="success">Preferences saved.</Notice> : null}
        <Button type="submit" busy={busy}>
          Save preferences
        </Button>
      </form>
    </Card>
  );
}
