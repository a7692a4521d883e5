import { fromSoapValue } from '../soap/any-value.js';
import type { MoRef } from '../soap/moref.js';

/** The root object of every vSphere API: RetrieveServiceContent and CurrentTime are its methods. */
export const SERVICE_INSTANCE: MoRef = { type: 'ServiceInstance', value: 'ServiceInstance' };

/** The managers this client uses, from ServiceInstance.RetrieveServiceContent. */
export interface ServiceContent {
  readonly rootFolder: MoRef;
  readonly propertyCollector: MoRef;
  readonly sessionManager: MoRef;
  readonly searchIndex: MoRef;
  readonly fileManager: MoRef;
  readonly virtualDiskManager: MoRef;
  readonly about: AboutInfo;
}

export interface AboutInfo {
  readonly fullName: string;
  readonly apiType: string;
  readonly apiVersion: string;
  readonly instanceUuid?: string;
}

export function serviceContentFromSoap(node: unknown): ServiceContent {
  const content = fromSoapValue(node) as Record<string, unknown>;
  const manager = (name: string): MoRef => {
    const ref = content[name] as MoRef | undefined;
    if (ref === undefined) throw new Error(`vSphere ServiceContent has no ${name}: this client needs vCenter or ESXi`);
    return ref;
  };
  const about = content.about as Record<string, string | undefined>;
  return {
    rootFolder: manager('rootFolder'),
    propertyCollector: manager('propertyCollector'),
    sessionManager: manager('sessionManager'),
    searchIndex: manager('searchIndex'),
    fileManager: manager('fileManager'),
    virtualDiskManager: manager('virtualDiskManager'),
    about: {
      fullName: about.fullName ?? '',
      apiType: about.apiType ?? '',
      apiVersion: about.apiVersion ?? '',
      ...(about.instanceUuid === undefined ? {} : { instanceUuid: about.instanceUuid }),
    },
  };
}
