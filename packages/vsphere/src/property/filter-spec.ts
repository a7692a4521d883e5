import { toSoapMoRef, type MoRef } from '../soap/moref.js';
import { vimObject } from '../soap/xsi.js';

/** A PropertyFilterSpec asking for `paths` of each object in `objects` (all of one managed type). */
export function objectsFilterSpec(objects: readonly MoRef[], paths: readonly string[]): object {
  const types = [...new Set(objects.map((ref) => ref.type))];
  return vimObject('PropertyFilterSpec', {
    propSet: types.map((type) => vimObject('PropertySpec', { type, pathSet: [...paths] })),
    objectSet: objects.map((ref) => vimObject('ObjectSpec', { obj: toSoapMoRef(ref), skip: false })),
  });
}

/** A PropertyFilterSpec over the direct children of `parent` along `path` (e.g. Folder.childEntity). */
export function childrenFilterSpec(parent: MoRef, path: string, childType: string, paths: readonly string[]): object {
  return vimObject('PropertyFilterSpec', {
    propSet: [vimObject('PropertySpec', { type: childType, pathSet: [...paths] })],
    objectSet: [
      vimObject('ObjectSpec', {
        obj: toSoapMoRef(parent),
        skip: true,
        selectSet: [vimObject('TraversalSpec', { name: 'children', type: parent.type, path, skip: false })],
      }),
    ],
  });
}
