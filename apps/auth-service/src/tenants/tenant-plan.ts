import type { Tenant } from '../database/entities';

export interface TenantPlan {
  maxUsers: number;
  maxDevicesPerUser: number;
  tokensPerDevicePerDay: number;
  leaseTtlHours: number;
}

export interface TenantView {
  id: string;
  name: string;
  status: 'active' | 'suspended';
  plan: TenantPlan;
  createdAt: string;
}

export function planOf(t: Pick<Tenant, 'maxUsers' | 'maxDevicesPerUser' | 'tokensPerDevicePerDay' | 'leaseTtlHours'>): TenantPlan {
  return { maxUsers: t.maxUsers, maxDevicesPerUser: t.maxDevicesPerUser, tokensPerDevicePerDay: t.tokensPerDevicePerDay, leaseTtlHours: t.leaseTtlHours };
}

export function tenantView(t: Tenant): TenantView {
  return { id: t.id, name: t.name, status: t.status, plan: planOf(t), createdAt: t.createdAt.toISOString() };
}

/** A syntactically valid UUID (any version); anything else cannot name a row and is a 404. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
