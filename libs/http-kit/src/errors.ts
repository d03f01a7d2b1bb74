// Kept so existing callers of http-kit still find the error type; new code imports @webchat/errors.
export { AppError, isAppError } from '@webchat/errors';
