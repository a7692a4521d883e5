/**
 * The part of the vim25 schema this client uses, written by the project (vcsim serves no WSDL, and
 * VMware's is not ours to copy). Field order is the schema's sequence order (checked against
 * govmomi's vim25/types), because real vSphere validates it.
 *
 * Only response types are modelled in depth: node-soap uses them to turn text into numbers, booleans
 * and dates. Request specs are declared `xsd:anyType` and built in schema order by typed builders
 * (vm/, compute/, property/), each carrying its own xsi:type, so the polymorphic vim25 config types
 * (devices, backings, option values) need no schema here.
 */
export type Occurs = 'one' | 'optional' | 'many';
export interface Field {
  readonly name: string;
  readonly type: string;
  readonly occurs: Occurs;
}
export interface ComplexType {
  readonly base?: string;
  readonly fields: readonly Field[];
}
export interface Operation {
  readonly params: readonly Field[];
  readonly returns?: Field;
}

const one = (name: string, type: string): Field => ({ name, type, occurs: 'one' });
const opt = (name: string, type: string): Field => ({ name, type, occurs: 'optional' });
const many = (name: string, type: string): Field => ({ name, type, occurs: 'many' });

const MOR = 'vim:ManagedObjectReference';
const STRING = 'xsd:string';
const ANY = 'xsd:anyType';

const serviceContentManagers = [
  'viewManager', 'setting', 'userDirectory', 'sessionManager', 'authorizationManager', 'serviceManager',
  'perfManager', 'scheduledTaskManager', 'alarmManager', 'eventManager', 'taskManager', 'extensionManager',
  'customizationSpecManager', 'guestCustomizationManager', 'customFieldsManager', 'accountManager',
  'diagnosticManager', 'licenseManager', 'searchIndex', 'fileManager', 'datastoreNamespaceManager',
  'virtualDiskManager', 'virtualizationManager', 'snmpSystem', 'vmProvisioningChecker',
  'vmCompatibilityChecker', 'ovfManager', 'ipPoolManager', 'dvSwitchManager', 'hostProfileManager',
  'clusterProfileManager', 'complianceManager', 'localizationManager', 'storageResourceManager',
  'guestOperationsManager', 'overheadMemoryManager', 'certificateManager', 'ioFilterManager',
  'vStorageObjectManager', 'hostSpecManager', 'cryptoManager', 'healthUpdateManager',
  'failoverClusterConfigurator', 'failoverClusterManager', 'tenantManager', 'siteInfoManager',
  'storageQueryManager',
];

export const complexTypes: Readonly<Record<string, ComplexType>> = {
  ServiceContent: {
    fields: [
      one('rootFolder', MOR),
      one('propertyCollector', MOR),
      opt('viewManager', MOR),
      one('about', 'vim:AboutInfo'),
      ...serviceContentManagers.slice(1).map((name) => opt(name, MOR)),
    ],
  },
  AboutInfo: {
    fields: [
      'name', 'fullName', 'vendor', 'version', 'build', 'localeVersion', 'localeBuild', 'osType', 'productLineId',
      'apiType', 'apiVersion', 'instanceUuid', 'licenseProductName', 'licenseProductVersion',
    ].map((name) => opt(name, STRING)),
  },
  UserSession: {
    fields: [
      one('key', STRING), one('userName', STRING), one('fullName', STRING), one('loginTime', 'xsd:dateTime'),
      one('lastActiveTime', 'xsd:dateTime'), one('locale', STRING), one('messageLocale', STRING),
      opt('extensionSession', 'xsd:boolean'), opt('ipAddress', STRING), opt('userAgent', STRING),
      opt('callCount', 'xsd:long'),
    ],
  },
  LocalizableMessage: { fields: [one('key', STRING), many('arg', ANY), opt('message', STRING)] },
  LocalizedMethodFault: { fields: [one('fault', 'vim:MethodFault'), opt('localizedMessage', STRING)] },
  MethodFault: { fields: [opt('faultCause', 'vim:LocalizedMethodFault'), many('faultMessage', 'vim:LocalizableMessage')] },
  DynamicProperty: { fields: [one('name', STRING), one('val', ANY)] },
  MissingProperty: { fields: [one('path', STRING), one('fault', 'vim:LocalizedMethodFault')] },
  MissingObject: { fields: [one('obj', MOR), one('fault', 'vim:LocalizedMethodFault')] },
  ObjectContent: {
    fields: [one('obj', MOR), many('propSet', 'vim:DynamicProperty'), many('missingSet', 'vim:MissingProperty')],
  },
  RetrieveResult: { fields: [opt('token', STRING), many('objects', 'vim:ObjectContent')] },
  PropertyChange: { fields: [one('name', STRING), one('op', STRING), opt('val', ANY)] },
  ObjectUpdate: {
    fields: [
      one('kind', STRING), one('obj', MOR), many('changeSet', 'vim:PropertyChange'),
      many('missingSet', 'vim:MissingProperty'),
    ],
  },
  PropertyFilterUpdate: {
    fields: [one('filter', MOR), many('objectSet', 'vim:ObjectUpdate'), many('missingSet', 'vim:MissingObject')],
  },
  UpdateSet: {
    fields: [one('version', STRING), many('filterSet', 'vim:PropertyFilterUpdate'), opt('truncated', 'xsd:boolean')],
  },
  TaskInfo: {
    fields: [
      one('key', STRING), one('task', MOR), opt('description', 'vim:LocalizableMessage'), opt('name', STRING),
      one('descriptionId', STRING), opt('entity', MOR), opt('entityName', STRING), many('locked', MOR),
      one('state', STRING), one('cancelled', 'xsd:boolean'), one('cancelable', 'xsd:boolean'),
      opt('error', 'vim:LocalizedMethodFault'), opt('result', ANY), opt('progress', 'xsd:int'), opt('reason', ANY),
      one('queueTime', 'xsd:dateTime'), opt('startTime', 'xsd:dateTime'), opt('completeTime', 'xsd:dateTime'),
      one('eventChainId', 'xsd:int'), opt('changeTag', STRING), opt('parentTaskKey', STRING),
      opt('rootTaskKey', STRING), opt('activationId', STRING),
    ],
  },
  OptionValue: { fields: [one('key', STRING), opt('value', ANY)] },
  ArrayOfOptionValue: { fields: [many('OptionValue', 'vim:OptionValue')] },
  ArrayOfManagedObjectReference: { fields: [many('ManagedObjectReference', MOR)] },
  SharesInfo: { fields: [one('shares', 'xsd:int'), one('level', STRING)] },
  ResourceAllocationInfo: {
    fields: [
      opt('reservation', 'xsd:long'), opt('expandableReservation', 'xsd:boolean'), opt('limit', 'xsd:long'),
      opt('shares', 'vim:SharesInfo'), opt('overheadLimit', 'xsd:long'),
    ],
  },
  ResourceConfigSpec: {
    fields: [
      opt('entity', MOR), opt('changeVersion', STRING), opt('lastModified', 'xsd:dateTime'),
      one('cpuAllocation', 'vim:ResourceAllocationInfo'), one('memoryAllocation', 'vim:ResourceAllocationInfo'),
      opt('scaleDescendantsShares', STRING),
    ],
  },
};

const task = (...params: Field[]): Operation => ({ params: [one('_this', MOR), ...params], returns: one('returnval', MOR) });
const call = (returns: Field | undefined, ...params: Field[]): Operation =>
  returns ? { params: [one('_this', MOR), ...params], returns } : { params: [one('_this', MOR), ...params] };

export const operations: Readonly<Record<string, Operation>> = {
  RetrieveServiceContent: call(one('returnval', 'vim:ServiceContent')),
  Login: call(one('returnval', 'vim:UserSession'), one('userName', STRING), one('password', STRING), opt('locale', STRING)),
  Logout: call(undefined),
  CurrentTime: call(one('returnval', 'xsd:dateTime')),
  TerminateSession: call(undefined, many('sessionId', STRING)),
  FindByInventoryPath: call(opt('returnval', MOR), one('inventoryPath', STRING)),
  RetrievePropertiesEx: call(opt('returnval', 'vim:RetrieveResult'), many('specSet', ANY), one('options', ANY)),
  ContinueRetrievePropertiesEx: call(one('returnval', 'vim:RetrieveResult'), one('token', STRING)),
  CreatePropertyCollector: call(one('returnval', MOR)),
  DestroyPropertyCollector: call(undefined),
  CreateFilter: call(one('returnval', MOR), one('spec', ANY), one('partialUpdates', 'xsd:boolean')),
  DestroyPropertyFilter: call(undefined),
  WaitForUpdatesEx: call(opt('returnval', 'vim:UpdateSet'), opt('version', STRING), opt('options', ANY)),
  CancelWaitForUpdates: call(undefined),
  CancelTask: call(undefined),
  CreateResourcePool: call(one('returnval', MOR), one('name', STRING), one('spec', ANY)),
  CreateVApp: call(one('returnval', MOR), one('name', STRING), one('resSpec', ANY), one('configSpec', ANY), opt('vmFolder', MOR)),
  UpdateConfig: call(undefined, opt('name', STRING), opt('config', ANY)),
  Destroy_Task: task(),
  CreateVM_Task: task(one('config', ANY), one('pool', MOR), opt('host', MOR)),
  CreateChildVM_Task: task(one('config', ANY), opt('host', MOR)),
  ReconfigVM_Task: task(one('spec', ANY)),
  PowerOnVM_Task: task(opt('host', MOR)),
  PowerOffVM_Task: task(),
  MakeDirectory: call(undefined, one('name', STRING), opt('datacenter', MOR), opt('createParentDirectories', 'xsd:boolean')),
  DeleteDatastoreFile_Task: task(one('name', STRING), opt('datacenter', MOR)),
  MoveDatastoreFile_Task: task(
    one('sourceName', STRING), opt('sourceDatacenter', MOR), one('destinationName', STRING), opt('destinationDatacenter', MOR),
    opt('force', 'xsd:boolean'),
  ),
  CreateVirtualDisk_Task: task(one('name', STRING), opt('datacenter', MOR), one('spec', ANY)),
  CopyVirtualDisk_Task: task(
    one('sourceName', STRING), opt('sourceDatacenter', MOR), one('destName', STRING), opt('destDatacenter', MOR),
    opt('destSpec', ANY), opt('force', 'xsd:boolean'),
  ),
  DeleteVirtualDisk_Task: task(one('name', STRING), opt('datacenter', MOR)),
};
