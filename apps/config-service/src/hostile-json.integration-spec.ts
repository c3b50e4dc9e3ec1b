import { describeHostileJson } from '@phoenix/common/testing';
import { LocalIssuer, RunningApp, TestDb, createNetworkDb, getChallenge, mintToken, startApp, testEnv } from '../test/support';

let issuer: LocalIssuer;
let db: TestDb;
let running: RunningApp;
let token: string;

describeHostileJson(
  'config-service',
  async () => {
    issuer = await LocalIssuer.start();
    db = await createNetworkDb();
    running = await startApp(testEnv(db, issuer));
    token = mintToken(issuer.current, await getChallenge(running.base));
    return {
      base: running.base,
      close: async () => {
        await running.close();
        await issuer.close();
        await db.drop();
      },
    };
  },
  [
    // A valid token: the request gets past the token check to the validation pipe.
    { method: 'POST', path: '/vpn/config', headers: () => ({ authorization: `PrivateToken token="${token}"` }) },
    { method: 'POST', path: '/nodes/register', headers: () => ({ authorization: `Bearer ${running.config.NODE_ENROLLMENT_TOKEN}` }) },
    { method: 'PUT', path: '/admin/locations/xx-hostile', headers: () => ({ authorization: `Bearer ${running.config.ADMIN_TOKEN}` }) },
  ],
);
