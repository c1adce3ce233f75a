// Form pieces shared by every page: a labelled field with its error next to
// it, and an alert for a whole-form error.
import type { ComponentProps } from "preact";
import { useId } from "preact/hooks";

type FieldProps = {
  label: string;
  name: string;
  value: string;
  error?: string;
  hint?: string;
  onInput: (value: string) => void;
  type?: "text" | "password";
} & Pick<ComponentProps<"input">, "autoComplete" | "autoCapitalize" | "inputMode" | "spellcheck" | "required" | "disabled">;

/** Field is a labelled input; its error is announced and tied to it with aria-describedby. */
export function Field({ label, name, value, error, hint, onInput, type, ...rest }: FieldProps) {
  const id = useId();
  const described = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
  const common = {
    ...rest,
    id,
    name,
    value,
    "aria-invalid": error ? ("true" as const) : undefined,
    "aria-describedby": described,
    onInput: (e: Event) => onInput((e.currentTarget as HTMLInputElement).value),
  };
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {type === "password" ? <input type="password" {...common} /> : <input type="text" {...common} />}
      {error && (
        <p class="error" id={`${id}-error`}>
          {label} {error}
        </p>
      )}
    </div>
  );
}

/** FormError shows an error about the whole form, announced as an alert. */
export function FormError({ message }: { message?: string }) {
  if (!message) return null;
  return (
    <div class="alert" role="alert">
      {message}
    </div>
  );
}
