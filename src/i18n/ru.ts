import { type Messages, mins } from './uz.js'

type P = Record<string, string | number>

const plural = new Intl.PluralRules('ru')
// "действителен N минут": accusative after a number — 1 минуту, 2 минуты, 5 минут.
const minutes = (n: string | number) =>
  `${n} ${{ one: 'минуту', few: 'минуты', many: 'минут', other: 'минуты', zero: 'минут', two: 'минуты' }[plural.select(Number(n))]}`
const seconds = (n: string | number) =>
  `${n} ${{ one: 'секунду', few: 'секунды', many: 'секунд', other: 'секунды', zero: 'секунд', two: 'секунды' }[plural.select(Number(n))]}`

export const ru: Messages = {
  otpSent: (p: P) =>
    `Код подтверждения отправлен на номер ${p.phone}. Код действителен ${minutes(p.minutes as number)}.`,
  otpSentTelegram: (p: P) =>
    `Код подтверждения отправлен в Telegram: откройте чат «Verification Codes» в Telegram номера ${p.phone}. Код действителен ${minutes(p.minutes as number)}.`,
  smsBody: (p: P) =>
    `Код подтверждения Royal Taxi: ${p.code}\nКод действителен ${minutes(p.minutes as number)}.\nЕсли вы не запрашивали этот код, проигнорируйте это сообщение.`,
  smsAutofillBody: (p: P) =>
    `Код Royal Taxi: ${p.code}\nДействует ${minutes(p.minutes as number)}. Если вы его не запрашивали, проигнорируйте SMS.`,
  validation: {
    fields: {
      phone: () => 'Номер телефона должен быть в формате +998901234567.',
      code: () => 'Код должен состоять из 4–10 цифр.',
      language: () => 'Язык должен быть uz, ru или en.',
      client: () => 'Клиент должен быть android, ios или web.',
      app: () => 'Приложение должно быть passenger или driver.',
      channel: () => 'Канал должен быть telegram или sms.',
      captcha_token: () => 'Токен CAPTCHA должен быть непустой строкой длиной до 4096 символов.',
      refresh_token: () => 'Токен обновления должен быть строкой длиной от 1 до 512 символов.',
      full_name: () => 'Имя должно содержать от 1 до 100 символов без управляющих символов (или быть null).',
      body: () => 'Тело запроса должно быть JSON-объектом.',
    },
    unknown: (p: P) => `Неизвестное поле: ${p.field}.`,
    invalid: (p: P) => `Неверное значение поля ${p.field}.`,
  },
  errors: {
    VALIDATION_ERROR: (p: P) => String(p.details),
    INVALID_JSON: () => 'Тело запроса не является корректным JSON.',
    UNSUPPORTED_MEDIA_TYPE: () => 'Этот тип содержимого не поддерживается: отправьте application/json.',
    PAYLOAD_TOO_LARGE: () => 'Тело запроса слишком большое.',
    BAD_REQUEST: () => 'Неверный запрос.',
    NOT_FOUND: () => 'Адрес не найден.',
    INVALID_PHONE: () => 'Неверный номер телефона. Введите номер в формате +998901234567.',
    COUNTRY_NOT_ALLOWED: (p: P) => `Коды на номера этой страны не отправляются (${p.country}).`,
    OTP_RESEND_COOLDOWN: (p: P) => `Новый код можно запросить через ${seconds(p.seconds as number)}.`,
    RATE_LIMITED: (p: P) => `Слишком много запросов. Повторите через ${seconds(p.seconds as number)}.`,
    SMS_UNAVAILABLE: () => 'Не удалось отправить SMS. Повторите попытку позже.',
    OTP_INVALID: (p: P) => `Неверный код. Осталось попыток: ${p.attempts_left}.`,
    OTP_EXPIRED: () => 'Код не найден или истёк. Запросите новый код.',
    OTP_TOO_MANY_ATTEMPTS: () => 'Попытки исчерпаны, код аннулирован. Запросите новый код.',
    UNAUTHORIZED: () => 'Требуется авторизация: передайте заголовок Authorization: Bearer <token>.',
    TOKEN_INVALID: () => 'Недействительный токен доступа.',
    TOKEN_EXPIRED: () => 'Срок действия токена доступа истёк. Обновите его.',
    REFRESH_TOKEN_INVALID: () => 'Недействительный токен обновления. Войдите заново.',
    REFRESH_TOKEN_EXPIRED: () => 'Срок действия токена обновления истёк. Войдите заново.',
    REFRESH_TOKEN_REUSED: () =>
      'Этот токен обновления уже был использован. В целях безопасности сеанс закрыт: войдите заново.',
    SESSION_NOT_FOUND: () => 'Такого активного сеанса нет.',
    PHONE_UNCHANGED: () => 'Этот номер уже привязан к вашей учётной записи.',
    PHONE_TAKEN: () =>
      'Этот номер привязан к другой учётной записи. Укажите другой номер или удалите ту учётную запись.',
    ADMIN_DISABLED: () =>
      'Панель администратора отключена: чтобы включить её, задайте настройку ADMIN_TOKEN.',
    ADMIN_TOKEN_INVALID: () => 'Неверный токен администратора.',
    BLOCK_NOT_FOUND: () => 'Для этого префикса нет действующей блокировки.',
    DRIVER_PHONE_INVALID: (p: P) =>
      `Ничего не добавлено: неверный мобильный номер или номер указан дважды: ${p.phones}.`,
    DRIVER_NOT_FOUND: () => 'Этого номера нет в списке водителей.',
    DRIVER_NOT_REGISTERED: () => 'Этот номер не зарегистрирован как водитель. Обратитесь в свой таксопарк.',
    PASSKEYS_DISABLED: () =>
      'Ключи доступа на этом сервере отключены: задайте PASSKEY_RP_ID, чтобы включить их.',
    PASSKEY_CHALLENGE_INVALID: () => 'Запрос ключа доступа устарел или уже использован. Попробуйте ещё раз.',
    PASSKEY_INVALID: () => 'Не удалось проверить ключ доступа. Попробуйте ещё раз.',
    PASSKEY_UNKNOWN: () => 'Этот ключ доступа не зарегистрирован. Войдите по коду и добавьте его снова.',
    PASSKEY_NOT_FOUND: () => 'Ключ доступа не найден.',
    PASSKEY_ALREADY_REGISTERED: () => 'Этот ключ доступа уже зарегистрирован.',
    PASSKEY_LIMIT: (p: P) => `У вас уже ${p.max} ключей доступа. Удалите один, чтобы добавить новый.`,
    METRICS_UNAUTHORIZED: () =>
      'Токен метрик не передан или неверен: передайте Authorization: Bearer <METRICS_TOKEN>.',
    METRICS_FORBIDDEN: () => 'Метрики отдаются только этой машине (127.0.0.1), пока не задан METRICS_TOKEN.',
    SERVICE_UNAVAILABLE: () => 'Сервис временно недоступен. Повторите попытку позже.',
    NOT_READY: () => 'Сервис ещё не готов.',
    WEBHOOK_FORBIDDEN: () => 'Не удалось подтвердить подлинность обратного вызова.',
    INTERNAL_ERROR: () => 'Внутренняя ошибка.',
    OTP_NUMBER_LIMIT: (p: P) =>
      `Слишком много кодов для этого номера. Повторите через ${minutes(mins(p.seconds))}.`,
    OTP_PREFIX_BLOCKED: (p: P) =>
      `Отправка кодов на этот номер временно приостановлена. Повторите через ${minutes(mins(p.seconds))} или обратитесь в поддержку.`,
    OTP_VERIFY_LIMIT: () =>
      'Сегодня для этого номера введено слишком много неверных кодов. Повторите завтра.',
    SMS_BUDGET_EXCEEDED: () => 'Отправка кодов на сегодня приостановлена. Повторите попытку позже.',
    CAPTCHA_REQUIRED: () => 'Пройдите проверку CAPTCHA: отправьте поле captcha_token.',
    CAPTCHA_INVALID: () => 'Проверка CAPTCHA не пройдена. Повторите попытку.',
    CAPTCHA_UNAVAILABLE: () => 'Проверка CAPTCHA временно недоступна. Повторите попытку позже.',
    REQUEST_TIMEOUT: () => 'Запрос передавался слишком медленно и был прерван. Повторите попытку.',
    HEADERS_TOO_LARGE: () => 'Заголовки запроса слишком большие.',
    CLIENT_CLOSED_REQUEST: () => 'Клиент закрыл соединение до окончания запроса.',
  },
}
