/** Where a resource came from: file, document index within the file, and its first line. */
export interface Origin {
  /** Path as given by the user (or "-" for stdin). */
  file: string;
  /** 0-based index of the YAML document within the file. */
  docIndex: number;
  /** 1-based line of the document (first line that is neither blank nor `---`; comments count). */
  line: number;
  /** 1-based column. */
  column: number;
  /** For items of a `kind: List`, the item's index. */
  listIndex?: number;
  /** The object was read from the cluster (`file` is then empty: it has no file or position). */
  cluster?: boolean;
  /** The remote cluster (its ID) the object was read from, in a multi-cluster analysis; else the primary's. */
  clusterName?: string;
}

/** The cluster ID istioctl gives the primary cluster (and the files) in a multi-cluster analysis. */
export const PRIMARY_CLUSTER = 'default';

/** The ID of the cluster an object belongs to: a remote cluster's, else the primary's (files included). */
export function clusterIdOf(r: { origin: { clusterName?: string } }): string {
  return r.origin.clusterName ?? PRIMARY_CLUSTER;
}

/** A remote cluster's ID; undefined for the primary cluster, the files and a single-cluster analysis. */
export function remoteClusterId(cluster: string | undefined): string | undefined {
  return cluster === PRIMARY_CLUSTER ? undefined : cluster;
}

/** A located position of a field inside a document. */
export interface Position {
  line: number;
  column: number;
}

/**
 * The text a resource was parsed from, kept so that field positions can be computed lazily (only for
 * fields a finding points at). See `positions.ts`.
 */
export interface DocSource {
  text: string;
  /** 0-based line in the file where `text` starts. */
  lineOffset: number;
  /** Path of the resource inside the document (e.g. `items[3]` for a `kind: List` item). */
  prefix: Array<string | number>;
  /** True when the fast parser read the document (positions are then found by walking its lines). */
  fast?: boolean;
  /** True for a JSON file (positions come from an index of the JSON text). */
  json?: boolean;
  /** For items of a `kind: List`: the List document's source, whose text (and position index) they share. */
  list?: DocSource;
}

export interface Resource {
  apiVersion: string;
  group: string; // "" for core
  version: string;
  kind: string;
  /** `${group || 'core'}/${kind}`, the key analyzers declare as input. */
  key: string;
  name: string;
  /** Namespace as written in the document (undefined when absent). */
  namespace: string | undefined;
  metadata: Record<string, any>;
  spec: any;
  /** The whole parsed object. */
  body: Record<string, any>;
  origin: Origin;
  source?: DocSource;
  /** True when the loader knows the document holds no null value (schema validation then skips nulls). */
  nullFree?: boolean;
}

export type ProblemSeverity = 'error' | 'warning' | 'note';

/** A problem found while reading input: never thrown, always collected and reported. */
export interface LoadProblem {
  severity: ProblemSeverity;
  file: string;
  line?: number;
  column?: number;
  docIndex?: number;
  message: string;
  /**
   * A path named by the user that does not exist or cannot be read, or a file or folder in it that cannot
   * be read: not a parse error (exit 66).
   */
  noInput?: boolean;
  /**
   * A path named by the user that was passed over: a file of another extension, a folder without
   * manifests. analyze warns; authz test, whose decisions depend on every policy, fails (exit 65).
   */
  passedOver?: boolean;
}

export interface LoadResult {
  resources: Resource[];
  problems: LoadProblem[];
  /** Files that were read (in order). */
  files: string[];
}

export function groupOf(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  if (slash < 0) return { group: '', version: apiVersion };
  return { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

export function kindKey(group: string, kind: string): string {
  return `${group || 'core'}/${kind}`;
}

/** The identity strings of a type, derived from its apiVersion and kind. */
interface TypeIds {
  apiVersion: string;
  group: string;
  version: string;
  kind: string;
  key: string;
}

/**
 * apiVersion → kind → the type's identity strings, each made once: every resource of a type shares one
 * string object per field (the parser gives each document its own copies), which keeps Map lookups by
 * them fast.
 */
const typeIds = new Map<string, Map<string, TypeIds>>();

function typeIdsOf(apiVersion: string, kind: string): TypeIds {
  let byKind = typeIds.get(apiVersion);
  if (!byKind) typeIds.set(apiVersion, (byKind = new Map()));
  let ids = byKind.get(kind);
  if (!ids) {
    const { group, version } = groupOf(apiVersion);
    byKind.set(kind, (ids = { apiVersion, group, version, kind, key: kindKey(group, kind) }));
  }
  return ids;
}

/** What a resource is made from: its type's other identity fields are derived from apiVersion and kind. */
export type ResourceInit = Omit<Resource, 'group' | 'version' | 'key' | 'nullFree' | 'source'> &
  Partial<Pick<Resource, 'nullFree' | 'source'>>;

/**
 * A resource, made the one way every resource is (files, the cluster, mesh's own defaults): the same
 * fields in the same order, so the analyzers' code sees one object shape (a second one made V8 discard
 * and recompile optimized code when the first such object reached it).
 */
export function newResource(r: ResourceInit): Resource {
  const ids = typeIdsOf(r.apiVersion, r.kind);
  return {
    apiVersion: ids.apiVersion,
    group: ids.group,
    version: ids.version,
    kind: ids.kind,
    key: ids.key,
    name: r.name,
    namespace: r.namespace,
    metadata: r.metadata,
    spec: r.spec,
    body: r.body,
    origin: r.origin,
    nullFree: r.nullFree ?? false,
    source: r.source,
  };
}
