import { LogIn, UserPlus } from 'lucide-react';
import { useId, useState, type FormEvent } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { useServices } from '../../app/services';
import { Button, Notice, PageTitle } from '../../components/ui';
import { describeError } from '../../lib/errors';

export const MIN_PASSWORD = 8;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

interface FieldErrors {
  email?: string;
  password?: string;
  confirm?: string;
}

/** What is wrong with the form before anything is sent. */
export function validateCredentials(mode: 'signin' | 'signup', email: string, password: string, confirm: string): FieldErrors {
  const errors: FieldErrors = {};
  if (!EMAIL.test(email.trim())) errors.email = 'Enter an email address like name@example.com.';
  if (mode === 'signup' && password.length < MIN_PASSWORD) errors.password = `Use at least ${MIN_PASSWORD} characters.`;
  if (mode === 'signin' && !password) errors.password = 'Enter your password.';
  if (mode === 'signup' && confirm !== password) errors.confirm = 'The passwords do not match.';
  return errors;
}

export function SignInPage({ mode }: { mode: 'signin' | 'signup' }) {
  const { auth } = useServices();
  const navigate = useNavigate();
  const location = useLocation();
  const ids = { email: useId(), password: useId(), confirm: useId() };
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const signup = mode === 'signup';
  const state = location.state as { from?: string; deleted?: boolean } | null;
  const next = state?.from ?? (signup ? '/account' : '/config');

  async function submit(e: FormEvent) {
    e.preventDefault();
    const found = validateCredentials(mode, email, password, confirm);
    setErrors(found);
    setFailure(null);
    if (Object.keys(found).length) return;
    setBusy(true);
    try {
      await (signup ? auth.signUp(email.trim(), password) : auth.signIn(email.trim(), password));
      navigate(next, { replace: true });
    } catch (error) {
      setFailure(describeError(error));
    } finally {
      setBusy(false);
    }
  }

  const field = (id: string, label: string, value: string, set: (v: string) => void, type: string, autoComplete: string, error?: string, hint?: string) => (
    <div>
      <label htmlFor={id} className="block text-sm font-medium">
        {label}
      </label>
      <input
        id={id}
        type={type}
        value={value}
        autoComplete={autoComplete}
        onChange={(e) => set(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : hint ? `${id}-hint` : undefined}
        className={`mt-1 block w-full rounded-md border px-3 py-2 text-base ${error ? 'border-red-600' : 'border-slate-300'}`}
      />
      {/* Reserved line: a message appearing does not push the form down. */}
      <p id={error ? `${id}-error` : `${id}-hint`} className={`mt-1 min-h-5 text-sm ${error ? 'text-red-700' : 'text-slate-600'}`}>
        {error ?? hint ?? ''}
      </p>
    </div>
  );

  return (
    <div className="mx-auto max-w-md">
      <PageTitle lead={signup ? 'Your account handles billing. The configs you get are not linked to it.' : 'Sign in to manage your subscription and get WireGuard configs.'}>
        {signup ? 'Create your account' : 'Sign in'}
      </PageTitle>
      {state?.deleted ? (
        <div className="mb-4">
          <Notice kind="success">Your account was deleted.</Notice>
        </div>
      ) : null}
      <form noValidate onSubmit={submit} className="space-y-2 rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
        {field(ids.email, 'Email', email, setEmail, 'email', 'email', errors.email)}
        {field(ids.password, 'Password', password, setPassword, 'password', signup ? 'new-password' : 'current-password', errors.password, signup ? `At least ${MIN_PASSWORD} characters.` : undefined)}
        {signup ? field(ids.confirm, 'Repeat password', confirm, setConfirm, 'password', 'new-password', errors.confirm) : null}
        {failure ? <Notice kind="error">{failure}</Notice> : null}
        <Button type="submit" busy={busy} className="w-full">
          {signup ? <UserPlus aria-hidden="true" className="size-4" /> : <LogIn aria-hidden="true" className="size-4" />}
          {signup ? 'Create account' : 'Sign in'}
        </Button>
        <p className="pt-2 text-center text-sm text-slate-700">
          {signup ? 'Already have an account? ' : 'New to Phoenix? '}
          <Link to={signup ? '/signin' : '/signup'} className="font-medium text-orange-800 underline">
            {signup ? 'Sign in' : 'Create an account'}
          </Link>
        </p>
      </form>
    </div>
  );
}
