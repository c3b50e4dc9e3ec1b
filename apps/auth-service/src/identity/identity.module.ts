import { Global, Module } from '@nestjs/common';
import { FirebaseAuthAdapter } from './firebase.adapter';
import { FirebaseAuthGuard } from './identity.guard';
import { UsersRepository } from './users.repository';

/** Firebase identity and the users table. Global: every feature authenticates the same way. */
@Global()
@Module({
  providers: [FirebaseAuthAdapter, FirebaseAuthGuard, UsersRepository],
  exports: [FirebaseAuthAdapter, FirebaseAuthGuard, UsersRepository],
})
export class IdentityModule {}
