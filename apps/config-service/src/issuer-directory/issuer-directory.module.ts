import { Module } from '@nestjs/common';
import { IssuerDirectoryService } from './issuer-directory.service';

@Module({ providers: [IssuerDirectoryService], exports: [IssuerDirectoryService] })
export class IssuerDirectoryModule {}
