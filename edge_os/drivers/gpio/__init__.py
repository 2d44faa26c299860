"""The GPIO driver (relays, PWM lights) and the push-to-talk and mute buttons, on gpiozero."""
