import { DataSourceJsonData } from '@grafana/data';
import { DataQuery } from '@grafana/schema';

/** The query types of SPEC 4. */
export type QueryType = 'metrics' | 'tickets' | 'top_products' | 'live_feed' | 'retention' | 'variable';

export type Interval = 'auto' | 'hour' | 'day' | 'week' | 'month';
export type Compare = 'none' | 'previous_period' | 'previous_year';
export type AttributionModel = 'last_touch' | 'first_touch' | 'linear';
/** Where an attribution window is anchored: the ticket's creation, or its closing (SPEC 5.2). */
export type AttributionAnchor = 'created' | 'closed';
export type DateBasis = 'ticket' | 'order';
export type SortBy = 'revenue' | 'quantity';
/** Orders of the tickets drill-down. */
export type TicketSort = 'newest' | 'lowest_csat' | 'revenue';
/** Selections of the tickets drill-down. */
export type TicketOnly = 'all' | 'open' | 'converted' | 'rated';

/** Filter lists: ANDed across keys, ORed within a key; an empty list means no filter. */
export interface SAFilters {
  agents?: string[];
  channels?: string[];
  projects?: string[];
  topics?: string[];
  tags?: string[];
  priorities?: string[];
  segments?: string[];
  scores?: string[];
  customer_types?: string[];
  currencies?: string[];
  products?: string[];
  /** automated, human, mixed, unanswered. */
  handledBy?: string[];
}

export type FilterKey = keyof SAFilters;

export interface SAAttribution {
  windowHours?: number;
  model?: AttributionModel;
  anchor?: AttributionAnchor;
  dateBasis?: DateBasis;
}

/** One query of this data source. Field names are a public contract (SPEC 4): change them only with a migration. */
export interface SAQuery extends DataQuery {
  queryType: QueryType;
  metrics?: string[];
  groupBy?: string[];
  interval?: Interval;
  filters?: SAFilters;
  attribution?: SAAttribution;
  compare?: Compare;
  timezone?: string;
  limit?: number;
  sortBy?: SortBy | TicketSort;
  /** tickets: which tickets of the range. */
  only?: TicketOnly;
  /** live_feed: also subscribe to the Grafana Live stream of new orders and cart events. */
  stream?: boolean;
  months?: number;
  dimension?: string;
  /** Overrides the data source's slaClock for first_response_sla_rate. */
  slaClock?: SLAClock;
  /** The dashboard's ad hoc filters, set by applyTemplateVariables; the backend ANDs them with filters. */
  adhocFilters?: SAAdhocFilter[];
}

/** One ad hoc filter as sent to the backend: key is a dimension key; values for =| and !=|. */
export interface SAAdhocFilter {
  key: string;
  operator: string;
  value: string;
  values?: string[];
}

export const DEFAULT_QUERY: Partial<SAQuery> = {
  queryType: 'metrics',
  metrics: ['tickets'],
  groupBy: ['time'],
  interval: 'auto',
  compare: 'none',
};

/** Defaults the backend applies when a field is absent (SPEC 4), shown as placeholders. */
export const QUERY_DEFAULTS = {
  ticketsLimit: 1000,
  topProductsLimit: 10,
  liveFeedLimit: 50,
  retentionMonths: 12,
} as const;

export type SSLMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';
export type WeekStart = 'monday' | 'sunday';
export type CSATCredit = 'closing_agent' | 'participants';
export type SLAClock = 'calendar' | 'business';
export type Weekday = 'monday' | 'tuesday' | 'wednesday' | 'thursday' | 'friday' | 'saturday' | 'sunday';
export const WEEKDAYS: Weekday[] = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
/** An opening interval, ["HH:MM", "HH:MM"] in the team's zone ("24:00" ends at midnight). */
export type OpenInterval = [string, string];

/** The team's opening hours (SPEC 5.3b): a missing weekday is closed; holidays (YYYY-MM-DD) are closed all day. */
export interface BusinessHours {
  /** IANA zone of the team; absent: the timezone setting. */
  timezone?: string;
  week?: Partial<Record<Weekday, OpenInterval[]>>;
  holidays?: string[];
}

/** jsonData of a data source instance (SPEC 3). Absent keys take the backend's defaults. */
export interface SAOptions extends DataSourceJsonData {
  helpdeskHost?: string;
  helpdeskDatabase?: string;
  helpdeskUser?: string;
  helpdeskSchema?: string;
  helpdeskSslMode?: SSLMode;
  ordersHost?: string;
  ordersDatabase?: string;
  ordersUser?: string;
  ordersSchema?: string;
  ordersSslMode?: SSLMode;
  maxOpenConns?: number;
  queryTimeoutSeconds?: number;
  maxRangeDays?: number;
  attributionWindowHours?: number;
  attributionModel?: AttributionModel;
  attributionAnchor?: AttributionAnchor;
  excludedStatuses?: string[];
  currency?: string;
  timezone?: string;
  weekStart?: WeekStart;
  vipMinSpent?: number;
  vipMinOrders?: number;
  vipTags?: string[];
  csatCredit?: CSATCredit;
  /** First-response target per priority, in seconds. */
  slaTargets?: Record<string, number>;
  /** What first_response_sla_rate's targets count: every second, or business seconds. */
  slaClock?: SLAClock;
  /** Absent: every hour counts, and the business-hours metrics are an error. */
  businessHours?: BusinessHours;
}

/** secureJsonData: written by the browser, never read back (only secureJsonFields says which are set). */
export interface SASecureJsonData {
  helpdeskPassword?: string;
  ordersPassword?: string;
  helpdeskTlsCACert?: string;
  helpdeskTlsClientCert?: string;
  helpdeskTlsClientKey?: string;
  ordersTlsCACert?: string;
  ordersTlsClientCert?: string;
  ordersTlsClientKey?: string;
}

export type SecureKey = keyof SASecureJsonData;

/** Settings defaults of SPEC 3, shown as placeholders in the config editor. */
export const SETTINGS_DEFAULTS = {
  schema: 'public',
  sslMode: 'require' as SSLMode,
  maxOpenConns: 10,
  queryTimeoutSeconds: 30,
  maxRangeDays: 732,
  attributionWindowHours: 72,
  attributionModel: 'last_touch' as AttributionModel,
  attributionAnchor: 'created' as AttributionAnchor,
  excludedStatuses: ['cancelled', 'refunded', 'voided'],
  currency: 'USD',
  timezone: 'UTC',
  weekStart: 'monday' as WeekStart,
  vipMinSpent: 500,
  vipMinOrders: 5,
  vipTags: ['vip'],
  csatCredit: 'closing_agent' as CSATCredit,
  slaTargets: { critical: 3600, high: 14400, normal: 86400, low: 172800 } as Record<string, number>,
  slaClock: 'calendar' as SLAClock,
};

/** The catalog resource served by the backend (GET resources/catalog). */
export interface CatalogMetric {
  key: string;
  displayName: string;
  description: string;
  unit: string;
  family: string;
  store: string;
  timeBasis: string;
  dimensions: string[];
}

export interface CatalogDimension {
  key: string;
  displayName: string;
  /** The key of this dimension in a query's filters; absent for time. */
  filter?: string;
  side: string;
  description?: string;
}

export interface CatalogQueryType {
  key: QueryType;
  displayName: string;
  description?: string;
}

export interface Catalog {
  metrics: CatalogMetric[];
  dimensions: CatalogDimension[];
  queryTypes: CatalogQueryType[];
}
