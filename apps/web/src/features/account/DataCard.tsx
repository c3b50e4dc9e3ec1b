import { FileJson, Trash2 } from 'lucide-react';
import { useId, useState } from 'react';
import { useNavigate } from 'react-router';
import { useServices } from '../../app/services';
import { Button, Card, Notice } from '../../components/ui';
import { describeError } from '../../lib/errors';

export const DELETE_CONFIRMATION = 'DELETE';

/** Saves `text` as a file through a temporary object URL. */
export function saveFile(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function DataCard() {
  const { api, auth, tokens } = useServices();
  const navigate = useNavigate();
  const id = useId();
  const [exporting, setExporting] = useState(false);
  const [exportError, setExportError] = useState<string | null>(null);
  const [typed, setTyped] = useState('');
  const [deleting, setDeleting] = useState(false);
  const [deleteError, setDeleteError] = useState<string | null>(null);

  async function exportData() {
    setExporting(true);
    setExportError(null);
    try {
      const text = await api.exportAccount();
      saveFile(`phoenix-account-${new Date().toISOString().slice(0, 10)}.json`, text, 'application/json');
    } catch (e) {
      setExportError(describeError(e));
    } finally {
      setExporting(false);
    }
  }

  async function deleteAccount() {
    setDeleting(true);
    setDeleteError(null);
    try {
      await api.deleteAccount();
      // The tokens in this browser were paid for by this account: they go with it.
      await tokens.clear();
      // Leave the signed-in pages first: once the session ends they would redirect on their own.
      navigate('/signin', { replace: true, state: { deleted: true } });
      // Then the Firebase account (auth-service README "What erasure keeps"); if Firebase wants a
      // fresh sign-in for that, the Phoenix data is gone anyway and the session just ends.
      await auth.deleteUser().catch(() => undefined);
      await auth.signOut();
    } catch (e) {
      setDeleteError(describeError(e));
      setDeleting(false);
    }
  }

  return (
    <Card title="Your data" titleId="data-title" icon={<FileJson aria-hidden="true" className="size-5 text-orange-700" />}>
      <div className="space-y-6">
        <div className="space-y-2">
          <p className="text-sm text-slate-700">Everything the account service stores about you, as JSON. The config service has nothing about you to export.</p>
          <Button variant="secondary" busy={exporting} onClick={() => void exportData()}>
            <FileJson aria-hidden="true" className="size-4" />
            Export my data
          </Button>
          {exportError ? <Notice kind="error">{exportError}</Notice> : null}
        </div>
        <div className="space-y-2 rounded-lg border border-red-200 bg-red-50/50 p-4">
          <h3 className="font-semibold text-red-900">Delete account</h3>
          <p className="text-sm text-slate-800">
            Erases your profile, preferences, subscription links and payment history, and cancels a Stripe subscription. This cannot be undone. Configs you already saved keep working until they expire.
          </p>
          <label htmlFor={`${id}-confirm`} className="block text-sm font-medium">
            Type {DELETE_CONFIRMATION} to confirm
          </label>
          <input
            id={`${id}-confirm`}
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            autoComplete="off"
            spellCheck={false}
            className="block w-full max-w-xs rounded-md border border-slate-300 px-3 py-2"
          />
          <Button variant="danger" busy={deleting} disabled={typed !== DELETE_CONFIRMATION} onClick={() => void deleteAccount()}>
            <Trash2 aria-hidden="true" className="size-4" />
            Delete my account
          </Button>
          {deleteError ? <Notice kind="error">{deleteError}</Notice> : null}
        </div>
      </div>
    </Card>
  );
}
