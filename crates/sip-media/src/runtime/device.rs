//! Sound devices behind one trait. The mixer's clock task reads and writes one 20 ms frame
//! per tick; a device never paces the mixer by spinning.

/// A sound device pair (capture and playback) as the mixer's slot 0 sees it.
pub trait AudioDevice: Send + 'static {
    /// The device's name, or `None` for the null device.
    fn name(&self) -> Option<&str>;

    /// Fills one frame of captured audio at the mixer's rate; `false` when nothing was
    /// captured.
    fn read_frame(&mut self, out: &mut [i16]) -> bool;

    /// Plays one frame of audio at the mixer's rate.
    fn write_frame(&mut self, frame: &[i16]);
}

/// The device used where no sound card exists: captures nothing, discards playback. The
/// mixer's clock (a tokio interval) paces it, so it costs nothing while idle.
#[derive(Debug, Default, Clone, Copy)]
pub struct NullAudioDevice;

impl AudioDevice for NullAudioDevice {
    fn name(&self) -> Option<&str> {
        None
    }

    fn read_frame(&mut self, _out: &mut [i16]) -> bool {
        false
    }

    fn write_frame(&mut self, _frame: &[i16]) {}
}
