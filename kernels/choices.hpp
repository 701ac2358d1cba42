// The choices a config makes that the kernels act on, defined once: the config
// (host/config/config.hpp) names these same types, so a config value reaches the engine as
// it is, with no second enum to map by hand. Plain enums, no CUDA: included by host code and
// by the kernels alike.
#pragma once

namespace sw::kern {

// Which way an object differs from its background (background.cuh, cfar.cuh).
enum class object_polarity : int { brighter = 0, darker = 1, any = 2 };
// The rule that turns the change magnitude into the change mask (threshold.cuh).
enum class threshold_kind { fixed, kmad, otsu };
// What decides which pixels changed: the plain change vector of the normalised bands, or
// IR-MAD's chi-square statistic (mad.cuh).
enum class change_method { cva, mad };
// Whether the reference is blurred or sharpened to the scene's sharpness before
// they are differenced (blur_match.cuh).
enum class blur_rule { match, off };
// How a site's reference is kept (reference.cuh).
enum class reference_kind { previous, median, fixed, archive };

}  // namespace sw::kern
