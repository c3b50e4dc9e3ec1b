import { Module } from '@nestjs/common';
import { IssuanceModule } from '../issuance/issuance.module';
import { AccountController } from './account.controller';
import { AccountRepository } from './account.repository';
import { AccountService } from './account.service';

@Module({ imports: [IssuanceModule], controllers: [AccountController], providers: [AccountRepository, AccountService] })
export class AccountModule {}
