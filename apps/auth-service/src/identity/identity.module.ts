import { Global, Module } from '@nestjs/common';
import { FirebaseAuthAdapter } from './firebase.adapter';
import { IdTokenVerifier } from './id-token.verifier';
import { FirebaseAuthGuard } from './identity.guard';
import { UsersRepository } from './users.repository';

/** Firebase identity and the users table. Global: every feature authenticates the same way. */
@Global()
@Module({
  providers: [FirebaseAuthAdapter, IdTokenVerifier, FirebaseAuthGuard, UsersRepository],
  exports: [FirebaseAuthAdapter, IdTokenVerifier, FirebaseAuthGuard, UsersRepository],
})
export class IdentityModule {}
