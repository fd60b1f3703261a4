import Type, { type Static } from 'typebox'
import { SMS_STATUSES } from '../db/schema.js'

// Shapes of the admin API: Fastify validates and serialises with them, and the OpenAPI document (tag `admin`)
// is made from them.

export const strict = { additionalProperties: false } as const
const day = (description = 'A day YYYY-MM-DD in ADMIN_TIMEZONE') =>
  Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description })
export const Day = day()
const status = (description?: string) => Type.Enum(SMS_STATUSES, description ? { description } : {})
const Status = status()
export const NullableString = Type.Union([Type.String(), Type.Null()])
const NullableInteger = Type.Union([Type.Integer(), Type.Null()])
export const Usd = Type.Number({ description: 'US dollars' })
const Rate = Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()], {
  description: 'A fraction 0..1; null when there is nothing to divide by',
})
const Series = Type.Array(Type.Integer(), { description: 'One value per entry of `days`' })

export const InfoResponse = Type.Object(
  {
    time_zone: Type.String({ description: 'The zone of every day in the reports (ADMIN_TIMEZONE)' }),
    providers: Type.Array(Type.String(), { description: 'Providers configured now or seen in the SMS log' }),
    statuses: Type.Array(Status),
    dev_mode: Type.Boolean({ description: 'No SMS provider is enabled: codes are only logged' }),
  },
  strict,
)

export const LogsQuery = Type.Object(
  {
    phone: Type.Optional(Type.String({ maxLength: 32, description: 'Digits anywhere in the number' })),
    status: Type.Optional(Status),
    provider: Type.Optional(Type.String({ maxLength: 32 })),
    country: Type.Optional(Type.String({ pattern: '^[A-Za-z]{2}$', description: 'ISO country code' })),
    from: Type.Optional(Day),
    to: Type.Optional(Day),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    cursor: Type.Optional(
      Type.String({ maxLength: 200, description: '`next_cursor` of the previous page (keyset pagination)' }),
    ),
  },
  strict,
)

const Attempt = Type.Object(
  {
    id: Type.String({ description: 'Our message id (also sent to gateways that accept one)' }),
    attempt: Type.Integer({ description: '1 for the first provider tried, 2 for the failover, ...' }),
    provider: Type.String(),
    provider_message_id: NullableString,
    status: Status,
    error_code: NullableString,
    error_message: NullableString,
    segments: NullableInteger,
    cost: Type.Union([Type.Number(), Type.Null()], {
      description: 'In `currency`; null when no price is known',
    }),
    currency: NullableString,
    cost_usd: Type.Union([Type.Number(), Type.Null()]),
    price_source: Type.Union([Type.Enum(['estimate', 'provider']), Type.Null()], {
      description: 'estimate: the price table; provider: what the gateway reported',
    }),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
    receipts: Type.Array(
      Type.Object(
        {
          status: Status,
          provider_status: Type.String({ description: 'As the gateway wrote it (DELIVRD, delivered…)' }),
          error_code: NullableString,
          received_at: Type.String({ format: 'date-time' }),
        },
        strict,
      ),
      { description: 'Delivery receipts for this attempt, oldest first' },
    ),
  },
  strict,
)

const Message = Type.Object(
  {
    request_id: Type.String({ description: 'One send request; its attempts share it' }),
    phone: Type.String(),
    country: Type.String(),
    operator: NullableString,
    status: status("The last attempt's status"),
    provider: Type.String({ description: "The last attempt's provider" }),
    created_at: Type.String({ format: 'date-time' }),
    attempts: Type.Array(Attempt),
  },
  strict,
)

export const LogsResponse = Type.Object(
  {
    messages: Type.Array(Message),
    next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'null on the last page' }),
  },
  strict,
)

export const RangeQuery = Type.Object(
  {
    from: Type.Optional(day('First day YYYY-MM-DD (default: 29 days before `to`)')),
    to: Type.Optional(day('Last day YYYY-MM-DD, included (default: today in ADMIN_TIMEZONE)')),
  },
  strict,
)

const ChannelFigures = Type.Object(
  {
    attempts: Type.Integer(),
    accepted: Type.Integer({ description: 'Attempts a gateway accepted' }),
    delivered: Type.Integer(),
    delivery_rate: Rate,
    cost_usd: Type.Number({ description: 'Refunds included: a Telegram message not delivered costs 0' }),
  },
  strict,
)

export const ByChannel = Type.Object(
  {
    channels: Type.Object({ sms: ChannelFigures, telegram: ChannelFigures }, strict),
    codes: Type.Integer({ description: 'Codes (send requests) with an attempt in the range' }),
    delivery_fallbacks: Type.Integer({
      description: 'Attempts made because the step before did not report delivery in time',
    }),
    fallback_rate: Rate,
  },
  { ...strict, description: 'Delivery by channel over the range (docs/TELEGRAM.md)' },
)

export const UsageResponse = Type.Object(
  {
    by_channel: ByChannel,
    from: Day,
    to: Day,
    time_zone: Type.String(),
    days: Type.Array(Day),
    attempts_by_status: Type.Record(Type.String(), Series, {
      description: 'SMS attempts per day by status (a failover counts each attempt)',
    }),
    attempts_by_provider: Type.Record(Type.String(), Series),
    messages: Series,
    delivered: Series,
    delivery_rate: Type.Array(Rate),
    codes_sent: Series,
    codes_verified: Series,
    verification_rate: Type.Array(Rate),
    totals: Type.Object(
      {
        messages: Type.Integer(),
        delivered: Type.Integer(),
        undelivered: Type.Integer(),
        failed: Type.Integer(),
        in_flight: Type.Integer({ description: 'Pending, queued or sent: no receipt yet' }),
        unknown: Type.Integer({
          description:
            'Left pending by a crash and not known to the gateway (no receipt since): may have been billed',
        }),
        delivery_rate: Rate,
        codes_sent: Type.Integer(),
        codes_verified: Type.Integer(),
        verification_rate: Rate,
      },
      strict,
    ),
  },
  strict,
)

export const AbuseQuery = Type.Object(
  { hours: Type.Integer({ minimum: 1, maximum: 720, default: 24, description: 'Window of the top lists' }) },
  strict,
)

export const AbuseResponse = Type.Object(
  {
    hours: Type.Integer(),
    blocks: Type.Array(
      Type.Object(
        {
          prefix: Type.String({
            description: 'The number without its last digits (PUMPING_PREFIX_DROP_DIGITS)',
          }),
          reason: Type.Enum(['volume', 'verify_rate', 'manual']),
          detail: Type.String({ description: 'What the detector saw, e.g. "31 codes in 3600 s"' }),
          created_by: Type.String({ description: 'auto (the detector), cli, admin…' }),
          created_at: Type.String({ format: 'date-time' }),
          expires_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
            description: 'null: until removed',
          }),
        },
        strict,
      ),
      { description: 'Number prefixes blocked now (SMS pumping), newest first' },
    ),
    limited: Type.Array(
      Type.Object(
        {
          limit: Type.String({
            description: 'otp_ip: requests per IP; otp_resend: the per-number cooldown; ...',
          }),
          subject: Type.Enum(['ip', 'number', 'prefix', 'other']),
          key: Type.String(),
          count: Type.Integer(),
          max: Type.Integer(),
          retry_after: Type.Integer({ description: 'Seconds until the key may send again' }),
        },
        strict,
      ),
    ),
    top_ips: Type.Array(
      Type.Object({ ip: Type.String(), codes: Type.Integer(), numbers: Type.Integer() }, strict),
    ),
    top_prefixes: Type.Array(
      Type.Object(
        {
          prefix: Type.String({
            description: 'The number without its last PUMPING_PREFIX_DROP_DIGITS digits',
          }),
          messages: Type.Integer(),
          numbers: Type.Integer(),
        },
        strict,
      ),
    ),
  },
  strict,
)

export const BlockParams = Type.Object(
  { prefix: Type.String({ pattern: '^\\+\\d{2,15}$', description: 'The blocked prefix, e.g. +998901234' }) },
  strict,
)

export type LogFilter = Static<typeof LogsQuery>
export type AttemptOut = Static<typeof Attempt>
export type MessageOut = Static<typeof Message>
