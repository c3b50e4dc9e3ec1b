import { Download, QrCode } from 'lucide-react';
import QRCode from 'qrcode';
import { useEffect, useState } from 'react';
import { Button, Loading, Notice } from '../../components/ui';
import { saveFile } from '../account/DataCard';
import type { ConfigFile } from './vpn-flow';

/** The finished config: a download and a QR code, both made here from the text in memory. */
export function ConfigResult({ file }: { file: ConfigFile }) {
  const [qr, setQr] = useState<string | null>(null);
  const [qrFailed, setQrFailed] = useState(false);
  useEffect(() => {
    let live = true;
    QRCode.toString(file.text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 })
      .then((svg) => live && setQr(`data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`))
      .catch(() => live && setQrFailed(true));
    return () => {
      live = false;
    };
  }, [file.text]);
  const { reply } = file;

  return (
    <div className="grid gap-6 md:grid-cols-[1fr_auto]">
      <div className="space-y-4">
        <Notice kind="success">
          Your config for <strong>{reply.node.location}</strong> is ready. Its private key was made in this browser and is only in this file: Phoenix never saw it. Save the file now; it is gone when you leave this page.
        </Notice>
        <Button onClick={() => saveFile(file.fileName, file.text, 'application/octet-stream')}>
          <Download aria-hidden="true" className="size-4" />
          Download {file.fileName}
        </Button>
        <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
          <dt className="font-medium text-slate-700">Server</dt>
          <dd className="break-all font-mono">{reply.peer.endpoint}</dd>
          <dt className="font-medium text-slate-700">Your addresses</dt>
          <dd className="break-all font-mono">{reply.interface.addresses.join(', ')}</dd>
          <dt className="font-medium text-slate-700">Your public key</dt>
          <dd className="break-all font-mono">{file.publicKey}</dd>
          <dt className="font-medium text-slate-700">Valid until</dt>
          <dd>{new Date(reply.expiresAt).toLocaleString()}</dd>
        </dl>
      </div>
      <figure className="w-full max-w-64 justify-self-center">
        {qr ? (
          <img src={qr} width={256} height={256} alt="QR code of the WireGuard config, for the WireGuard mobile app" className="size-64 rounded-md border border-slate-200 bg-white" />
        ) : qrFailed ? (
          <Notice kind="error">The QR code could not be drawn; use the file.</Notice>
        ) : (
          <Loading label="Drawing the QR code…" className="size-64" />
        )}
        <figcaption className="mt-2 flex items-start gap-1 text-sm text-slate-700">
          <QrCode aria-hidden="true" className="mt-0.5 size-4 shrink-0" />
          Scan with the WireGuard app: “Add tunnel”, “Create from QR code”.
        </figcaption>
      </figure>
    </div>
  );
}
