import type { ErrorCode } from '../errors.js'

type P = Record<string, string | number>

/** Minutes, rounded up, of a wait given in seconds. */
export const mins = (s: unknown) => Math.max(1, Math.ceil(Number(s) / 60))

// Uzbek (Latin script) is the default language; the otpSent and smsBody texts are the Python service's, word
// for word.
export const uz = {
  otpSent: (p: P) =>
    `Tasdiqlash kodi ${p.phone} raqamiga yuborildi. Kod ${p.minutes} daqiqa davomida amal qiladi.`,
  // The code went into Telegram first (docs/TELEGRAM.uz.md): where to look for it.
  otpSentTelegram: (p: P) =>
    `Tasdiqlash kodi Telegram orqali yuborildi: ${p.phone} raqamidagi Telegram hisobingizda "Verification Codes" chatini oching. Kod ${p.minutes} daqiqa davomida amal qiladi.`,
  smsBody: (p: P) =>
    `Royal Taxi tasdiqlash kodi: ${p.code}\nKod ${p.minutes} daqiqa davomida amal qiladi.\nAgar siz bu kodni so'ramagan bo'lsangiz, bu xabarni e'tiborsiz qoldiring.`,
  // With a line for the phone to fill the code in from: shorter, so the whole stays one segment (GSM-7, 160).
  smsAutofillBody: (p: P) =>
    `Royal Taxi tasdiqlash kodi: ${p.code}\nKod ${p.minutes} daqiqa amal qiladi. So'ramagan bo'lsangiz, e'tibor bermang.`,
  // A rejected body's `detail`: one sentence per field, naming it as a rider would (the machine detail is
  // `errors`); a generic one for an unknown field or a field without a sentence of its own.
  validation: {
    fields: {
      phone: () => "Telefon raqami +998901234567 ko'rinishida bo'lishi kerak.",
      code: () => "Kod 4–10 ta raqamdan iborat bo'lishi kerak.",
      language: () => "Til uz, ru yoki en bo'lishi kerak.",
      client: () => "Mijoz android, ios yoki web bo'lishi kerak.",
      app: () => "Ilova passenger yoki driver bo'lishi kerak.",
      channel: () => "Kanal telegram yoki sms bo'lishi kerak.",
      captcha_token: () => "CAPTCHA tokeni 4096 belgigacha bo'lgan bo'sh bo'lmagan matn bo'lishi kerak.",
      refresh_token: () => "Yangilash tokeni 1–512 belgidan iborat matn bo'lishi kerak.",
      full_name: () =>
        "Ism 1–100 belgidan iborat bo'lishi va boshqaruv belgilarini o'z ichiga olmasligi kerak (yoki null).",
      body: () => "So'rov tanasi JSON obyekt bo'lishi kerak.",
    } satisfies Record<string, () => string>,
    unknown: (p: P) => `Noma'lum maydon: ${p.field}.`,
    invalid: (p: P) => `${p.field} maydonining qiymati noto'g'ri.`,
  },
  errors: {
    VALIDATION_ERROR: (p: P) => String(p.details),
    INVALID_JSON: () => "So'rov tanasi yaroqli JSON emas.",
    UNSUPPORTED_MEDIA_TYPE: () => "Bu kontent turi qo'llab-quvvatlanmaydi: application/json yuboring.",
    PAYLOAD_TOO_LARGE: () => "So'rov tanasi juda katta.",
    BAD_REQUEST: () => "So'rov noto'g'ri.",
    NOT_FOUND: () => 'Bunday manzil topilmadi.',
    INVALID_PHONE: () => "Telefon raqami noto'g'ri. Raqamni +998901234567 ko'rinishida kiriting.",
    COUNTRY_NOT_ALLOWED: (p: P) => `Bu mamlakat raqamlariga kod yuborilmaydi (${p.country}).`,
    OTP_RESEND_COOLDOWN: (p: P) => `Yangi kodni ${p.seconds} soniyadan keyin so'rashingiz mumkin.`,
    RATE_LIMITED: (p: P) => `Juda ko'p so'rov yuborildi. ${p.seconds} soniyadan keyin qayta urinib ko'ring.`,
    SMS_UNAVAILABLE: () => "SMS yuborib bo'lmadi. Birozdan keyin qayta urinib ko'ring.",
    OTP_INVALID: (p: P) => `Kod noto'g'ri. Qolgan urinishlar: ${p.attempts_left}.`,
    OTP_EXPIRED: () => "Kod topilmadi yoki muddati tugagan. Yangi kod so'rang.",
    OTP_TOO_MANY_ATTEMPTS: () => "Urinishlar soni tugadi, kod bekor qilindi. Yangi kod so'rang.",
    UNAUTHORIZED: () => 'Avtorizatsiya talab qilinadi: Authorization: Bearer <token> sarlavhasini yuboring.',
    TOKEN_INVALID: () => 'Kirish tokeni yaroqsiz.',
    TOKEN_EXPIRED: () => 'Kirish tokenining muddati tugagan. Uni yangilang.',
    REFRESH_TOKEN_INVALID: () => 'Yangilash tokeni yaroqsiz. Qaytadan kiring.',
    REFRESH_TOKEN_EXPIRED: () => 'Yangilash tokenining muddati tugagan. Qaytadan kiring.',
    REFRESH_TOKEN_REUSED: () =>
      'Bu yangilash tokeni allaqachon ishlatilgan. Xavfsizlik uchun seans yopildi: qaytadan kiring.',
    SESSION_NOT_FOUND: () => "Bunday faol seans yo'q.",
    PHONE_UNCHANGED: () => 'Bu raqam allaqachon hisobingizga biriktirilgan.',
    PHONE_TAKEN: () =>
      "Bu raqam boshqa hisobga biriktirilgan. Boshqa raqam kiriting yoki o'sha hisobni o'chiring.",
    ADMIN_DISABLED: () => "Boshqaruv paneli o'chirilgan: uni yoqish uchun ADMIN_TOKEN sozlamasini kiriting.",
    ADMIN_TOKEN_INVALID: () => "Administrator tokeni noto'g'ri.",
    BLOCK_NOT_FOUND: () => "Bu prefiks uchun amaldagi blok yo'q.",
    DRIVER_PHONE_INVALID: (p: P) =>
      `Hech narsa qo'shilmadi: noto'g'ri mobil raqam yoki ikki marta berilgan: ${p.phones}.`,
    DRIVER_NOT_FOUND: () => "Bu raqam haydovchilar ro'yxatida yo'q.",
    DRIVER_NOT_REGISTERED: () =>
      "Bu raqam haydovchi sifatida ro'yxatdan o'tmagan. Taksoparkingizga murojaat qiling.",
    PASSKEYS_DISABLED: () =>
      "Bu serverda kirish kalitlari o'chirilgan: ularni yoqish uchun PASSKEY_RP_ID sozlamasini kiriting.",
    PASSKEY_CHALLENGE_INVALID: () =>
      "Kirish kaliti so'rovining muddati o'tgan yoki u allaqachon ishlatilgan. Qaytadan urinib ko'ring.",
    PASSKEY_INVALID: () => "Kirish kalitini tekshirib bo'lmadi. Qaytadan urinib ko'ring.",
    PASSKEY_UNKNOWN: () => "Bu kirish kaliti ro'yxatdan o'tmagan. Kod bilan kiring va uni qaytadan qo'shing.",
    PASSKEY_NOT_FOUND: () => 'Kirish kaliti topilmadi.',
    PASSKEY_ALREADY_REGISTERED: () => "Bu kirish kaliti allaqachon ro'yxatdan o'tgan.",
    PASSKEY_LIMIT: (p: P) =>
      `Sizda allaqachon ${p.max} ta kirish kaliti bor. Yangisini qo'shish uchun bittasini o'chiring.`,
    METRICS_UNAUTHORIZED: () =>
      "Metrika tokeni yo'q yoki noto'g'ri: Authorization: Bearer <METRICS_TOKEN> sarlavhasini yuboring.",
    METRICS_FORBIDDEN: () =>
      'Metrikalar faqat shu kompyuterga (127.0.0.1) beriladi: boshqa joydan olish uchun METRICS_TOKEN sozlamasini kiriting.',
    SERVICE_UNAVAILABLE: () => "Xizmat vaqtincha ishlamayapti. Birozdan keyin qayta urinib ko'ring.",
    NOT_READY: () => 'Xizmat hali tayyor emas.',
    WEBHOOK_FORBIDDEN: () => "Qayta chaqiruvning haqiqiyligini tasdiqlab bo'lmadi.",
    INTERNAL_ERROR: () => 'Ichki xatolik yuz berdi.',
    OTP_NUMBER_LIMIT: (p: P) =>
      `Bu raqamga juda ko'p kod yuborildi. ${mins(p.seconds)} daqiqadan keyin qayta urinib ko'ring.`,
    OTP_PREFIX_BLOCKED: (p: P) =>
      `Bu raqamlarga kod yuborish vaqtincha to'xtatilgan. ${mins(p.seconds)} daqiqadan keyin urinib ko'ring yoki qo'llab-quvvatlash xizmatiga murojaat qiling.`,
    OTP_VERIFY_LIMIT: () =>
      "Bugun bu raqam uchun noto'g'ri kodlar juda ko'p kiritildi. Ertaga qayta urinib ko'ring.",
    SMS_BUDGET_EXCEEDED: () => "Bugun SMS yuborish vaqtincha to'xtatildi. Keyinroq qayta urinib ko'ring.",
    CAPTCHA_REQUIRED: () => "Tekshiruvdan (CAPTCHA) o'ting: captcha_token maydonini yuboring.",
    CAPTCHA_INVALID: () => "CAPTCHA tekshiruvi muvaffaqiyatsiz. Qayta urinib ko'ring.",
    CAPTCHA_UNAVAILABLE: () =>
      "CAPTCHA tekshiruvi vaqtincha ishlamayapti. Birozdan keyin qayta urinib ko'ring.",
    REQUEST_TIMEOUT: () => "So'rov juda sekin yuborildi va to'xtatildi. Qayta urinib ko'ring.",
    HEADERS_TOO_LARGE: () => "So'rov sarlavhalari juda katta.",
    CLIENT_CLOSED_REQUEST: () => "Mijoz so'rov tugashidan oldin ulanishni uzdi.",
  } satisfies Record<ErrorCode, (p: P) => string>,
}

export type Messages = typeof uz
