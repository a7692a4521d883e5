/**
 * The JSON shapes of the OCI image spec and Docker's image spec v1.2 / manifest schema 2, as far
 * as vic reads them. Typed once here; registry, store and archive code all share them.
 */

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

/** A reference to content by digest (OCI descriptor / Docker manifest-list entry). */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
}

/** Docker schema 2 manifest or OCI image manifest. */
export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** Docker manifest list or OCI image index. */
export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

/** What the container runs by default: the `config` member of an image config. */
export interface ContainerDefaults {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** The image config blob (its digest is the image ID). */
export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  created?: string;
  author?: string;
  config?: ContainerDefaults;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: HistoryEntry[];
}
