import Type from 'typebox'
import { PhoneField } from '../http/schemas.js'
import { NAME_MAX_LENGTH } from './entries.js'

// Shapes of the roster's admin API (tag `admin` in the OpenAPI document).

const strict = { additionalProperties: false } as const

const Source = Type.Enum(['admin', 'cli', 'import'], {
  description: 'Who added it: the admin API or console, `royal-taxi drivers add`, or a CSV import',
})

export const DriverOut = Type.Object(
  {
    phone: Type.String({ description: 'E.164' }),
    name: Type.Union([Type.String(), Type.Null()]),
    added_by: Source,
    created_at: Type.String({ format: 'date-time' }),
  },
  strict,
)

export const DriversQuery = Type.Object(
  {
    search: Type.Optional(
      Type.String({
        maxLength: 64,
        description: 'Digits anywhere in the number (separators ignored), or text in the name',
      }),
    ),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    cursor: Type.Optional(
      Type.String({ maxLength: 200, description: '`next_cursor` of the previous page (keyset pagination)' }),
    ),
  },
  strict,
)

export const DriversResponse = Type.Object(
  {
    drivers: Type.Array(DriverOut, { description: 'Newest first' }),
    total: Type.Integer({ description: 'Rows matching `search` (the whole roster without it)' }),
    next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'null on the last page' }),
  },
  strict,
)

const DriverName = Type.String({
  maxLength: NAME_MAX_LENGTH,
  pattern: '^[^\\u0000-\\u001f\\u007f-\\u009f]*$',
  description: "The driver's name as the fleet knows it, without control characters; empty means none",
})

export const AddDriversBody = Type.Object(
  {
    drivers: Type.Array(
      Type.Object({ phone: PhoneField, name: Type.Optional(Type.Union([DriverName, Type.Null()])) }, strict),
      {
        minItems: 1,
        maxItems: 100,
        description: 'Added all or none; for more, use `royal-taxi drivers import FILE.csv`',
      },
    ),
  },
  strict,
)

export const AddDriversResponse = Type.Object(
  {
    added: Type.Array(DriverOut, { description: 'Numbers put on the roster by this request' }),
    already_present: Type.Array(Type.String(), {
      description: 'Numbers (E.164) that were on the roster already: left as they were',
    }),
  },
  strict,
)

export const DriverParams = Type.Object(
  {
    phone: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'The number, E.164 (+998901234567; the + may be left out or written %2B)',
    }),
  },
  strict,
)
