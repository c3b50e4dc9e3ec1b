// Sign-in through the Firebase JS SDK (email and password), the session kept the way Firebase
// keeps it (IndexedDB, refreshed by the SDK). The pages see only this small interface, so
// component tests can give them a stand-in.
import { initializeApp } from 'firebase/app';
import {
  browserLocalPersistence,
  connectAuthEmulator,
  createUserWithEmailAndPassword,
  indexedDBLocalPersistence,
  initializeAuth,
  onIdTokenChanged,
  signInWithEmailAndPassword,
  deleteUser,
  signOut,
} from 'firebase/auth';
import type { RuntimeConfig } from './runtime-config';

export interface AuthUser {
  uid: string;
  email: string | null;
}

export interface AuthClient {
  /** Calls `listener` with the user now and on every change; returns the unsubscribe. */
  onChange(listener: (user: AuthUser | null) => void): () => void;
  signIn(email: string, password: string): Promise<void>;
  signUp(email: string, password: string): Promise<void>;
  signOut(): Promise<void>;
  /** Deletes the Firebase account itself (the identity provider's record), then the session ends. */
  deleteUser(): Promise<void>;
  /** A current ID token of the signed-in user (refreshed when near expiry). */
  idToken(): Promise<string>;
}

export function firebaseAuthClient(config: RuntimeConfig): AuthClient {
  const app = initializeApp({ apiKey: config.firebase.apiKey, projectId: config.firebase.projectId, authDomain: config.firebase.authDomain ?? `${config.firebase.projectId}.firebaseapp.com` });
  // initializeAuth without a popup/redirect resolver: email and password need no iframe, so the
  // page's Content-Security-Policy can forbid frames and foreign scripts.
  const auth = initializeAuth(app, { persistence: [indexedDBLocalPersistence, browserLocalPersistence] });
  if (config.firebaseAuthEmulator) connectAuthEmulator(auth, `http://${config.firebaseAuthEmulator}`, { disableWarnings: true });
  return {
    onChange: (listener) => onIdTokenChanged(auth, (u) => listener(u ? { uid: u.uid, email: u.email } : null)),
    signIn: async (email, password) => {
      await signInWithEmailAndPassword(auth, email, password);
    },
    signUp: async (email, password) => {
      await createUserWithEmailAndPassword(auth, email, password);
    },
    signOut: () => signOut(auth),
    deleteUser: async () => {
      if (auth.currentUser) await deleteUser(auth.currentUser);
    },
    idToken: async () => {
      if (!auth.currentUser) throw Object.assign(new Error('Not signed in'), { code: 'auth/user-token-expired' });
      return auth.currentUser.getIdToken();
    },
  };
}
