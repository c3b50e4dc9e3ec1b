import { AlertTriangle, CheckCircle2, Info, Loader2 } from 'lucide-react';
import type { ButtonHTMLAttributes, ReactNode } from 'react';

type Variant = 'primary' | 'secondary' | 'danger';
const VARIANTS: Record<Variant, string> = {
  primary: 'bg-orange-700 text-white hover:bg-orange-800 disabled:bg-orange-300',
  secondary: 'bg-white text-slate-900 ring-1 ring-slate-300 hover:bg-slate-100 disabled:text-slate-400',
  danger: 'bg-red-700 text-white hover:bg-red-800 disabled:bg-red-300',
};

export function Button({ variant = 'primary', busy = false, children, className = '', disabled, ...rest }: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: Variant; busy?: boolean }) {
  return (
    <button
      type="button"
      {...rest}
      disabled={disabled || busy}
      aria-busy={busy || undefined}
      className={`inline-flex min-h-10 items-center justify-center gap-2 rounded-md px-4 py-2 text-sm font-semibold transition-colors disabled:cursor-not-allowed ${VARIANTS[variant]} ${className}`}
    >
      {busy ? <Loader2 aria-hidden="true" className="size-4 animate-spin" /> : null}
      {children}
    </button>
  );
}

/** A message: errors are announced at once (role=alert), the rest politely (role=status). */
export function Notice({ kind, children }: { kind: 'error' | 'success' | 'info'; children: ReactNode }) {
  const styles = { error: 'border-red-300 bg-red-50 text-red-900', success: 'border-green-300 bg-green-50 text-green-900', info: 'border-sky-300 bg-sky-50 text-sky-900' }[kind];
  const Icon = { error: AlertTriangle, success: CheckCircle2, info: Info }[kind];
  return (
    <div role={kind === 'error' ? 'alert' : 'status'} className={`flex gap-2 rounded-md border p-3 text-sm ${styles}`}>
      <Icon aria-hidden="true" className="mt-0.5 size-4 shrink-0" />
      <div>{children}</div>
    </div>
  );
}

export function Card({ title, titleId, icon, children, actions }: { title: string; titleId: string; icon?: ReactNode; children: ReactNode; actions?: ReactNode }) {
  return (
    <section aria-labelledby={titleId} className="rounded-xl border border-slate-200 bg-white p-5 shadow-sm sm:p-6">
      <div className="mb-4 flex flex-wrap items-center justify-between gap-2">
        <h2 id={titleId} className="flex items-center gap-2 text-lg font-semibold">
          {icon}
          {title}
        </h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

/** A placeholder of fixed height while something loads, so nothing jumps when it arrives. */
export function Loading({ label, className = 'h-24' }: { label: string; className?: string }) {
  return (
    <div role="status" className={`flex items-center justify-center gap-2 rounded-md bg-slate-100 text-sm text-slate-700 ${className}`}>
      <Loader2 aria-hidden="true" className="size-4 animate-spin" />
      {label}
    </div>
  );
}

export function PageTitle({ children, lead }: { children: ReactNode; lead?: ReactNode }) {
  return (
    <header className="mb-6">
      <h1 className="text-2xl font-bold tracking-tight sm:text-3xl">{children}</h1>
      {lead ? <p className="mt-2 max-w-2xl text-slate-700">{lead}</p> : null}
    </header>
  );
}
