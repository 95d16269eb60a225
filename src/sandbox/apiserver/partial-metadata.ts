/**
 * Metadata-only responses (meta.k8s.io/v1 PartialObjectMetadata / PartialObjectMetadataList), which a
 * client asks for with `Accept: application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1`, as
 * kube-apiserver serves them (kubernetes `staging/src/k8s.io/apiserver/pkg/endpoints/handlers/response.go`,
 * asPartialObjectMetadata / asPartialObjectMetadataList): only apiVersion, kind and metadata per item.
 */
import { parseAccept } from './discovery.js';
import type { KubeObject } from './types.js';

const META = 'meta.k8s.io/v1';

/** True when the first acceptable type asks for `as` (PartialObjectMetadata or PartialObjectMetadataList). */
export function wantsPartialMetadata(accept: string | undefined, as: 'PartialObjectMetadata' | 'PartialObjectMetadataList'): boolean {
  const first = parseAccept(accept)[0];
  return first?.params.as === as && first.params.g === 'meta.k8s.io' && (first.params.v === 'v1' || first.params.v === 'v1beta1');
}

export function partialContentType(as: 'PartialObjectMetadata' | 'PartialObjectMetadataList'): string {
  return `application/json;as=${as};g=meta.k8s.io;v=v1`;
}

export function partialObject(object: KubeObject): unknown {
  return { kind: 'PartialObjectMetadata', apiVersion: META, metadata: object.metadata };
}

export function partialList(items: readonly KubeObject[], metadata: Record<string, unknown>): unknown {
  return { kind: 'PartialObjectMetadataList', apiVersion: META, metadata, items: items.map(partialObject) };
}
