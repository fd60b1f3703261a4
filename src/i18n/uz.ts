import type { ErrorCode } from '../errors.js'

type P = Record<string, string | number>

// Uzbek (Latin script) is the default language; the otpSent and smsBody texts are the Python service's, word
// for word.
export const uz = {
  otpSent: (p: P) =>
    `Tasdiqlash kodi ${p.phone} raqamiga yuborildi. Kod ${p.minutes} daqiqa davomida amal qiladi.`,
  smsBody: (p: P) =>
    `Royal Taxi tasdiqlash kodi: ${p.code}\nKod ${p.minutes} daqiqa davomida amal qiladi.\nAgar siz bu kodni so'ramagan bo'lsangiz, bu xabarni e'tiborsiz qoldiring.`,
  errors: {
    VALIDATION_ERROR: (p: P) => `So'rov ma'lumotlari noto'g'ri: ${p.details}`,
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
    ADMIN_DISABLED: () => "Boshqaruv paneli o'chirilgan: uni yoqish uchun ADMIN_TOKEN sozlamasini kiriting.",
    ADMIN_TOKEN_INVALID: () => "Administrator tokeni noto'g'ri.",
    SERVICE_UNAVAILABLE: () => "Xizmat vaqtincha ishlamayapti. Birozdan keyin qayta urinib ko'ring.",
    NOT_READY: () => 'Xizmat hali tayyor emas.',
    WEBHOOK_FORBIDDEN: () => "Qayta chaqiruvning haqiqiyligini tasdiqlab bo'lmadi.",
    INTERNAL_ERROR: () => 'Ichki xatolik yuz berdi.',
  } satisfies Record<ErrorCode, (p: P) => string>,
}

export type Messages = typeof uz
