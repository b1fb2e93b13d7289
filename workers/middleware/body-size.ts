import { bodyLimit } from "hono/body-limit";
import { AppError } from "../../shared/errors.ts";

export const maxBodyBytes = 64 * 1024;

/** Refuses bodies over 64 KiB before anything reads them. */
export const bodySize = bodyLimit({
  maxSize: maxBodyBytes,
  onError: () => {
    throw new AppError("payload_too_large", `The body is over the limit of ${maxBodyBytes} bytes`, { limit: maxBodyBytes });
  },
});
