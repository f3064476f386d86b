//! A GeoJSON layer Leaflet draws (`"renderer": "svg"`, and layers with pins or icons): Leaflet's
//! `L.geoJSON` with a per-layer style, points drawn as circle markers, and property popups.
//! Created empty so it can be listed in the layers control at once; data is added when it
//! arrives. Rust draws the others ([`super::ShapesLayer`]).

use leaflet::{LatLng, Layer};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::ffi;
use super::listener::LeafletListener;
use super::popup::properties_popup;
use crate::config::{Attribution, Marker, Style};
use crate::geojson::{property_text, Checked, Shape};

/// Owns the Leaflet layer and the Rust closures Leaflet calls back into.
pub struct GeoJsonLayer {
    layer: ffi::GeoJsonGroup,
    _point_to_layer: Closure<dyn Fn(JsValue, LatLng) -> Layer>,
    _on_each_feature: Closure<dyn Fn(JsValue, Layer)>,
    _popup_content: Closure<dyn Fn(Layer) -> JsValue>,
    _tooltip_content: Closure<dyn Fn(Layer) -> JsValue>,
    _highlight: [LeafletListener; 2],
}

impl GeoJsonLayer {
    /// `tab_stops`: its shapes are reached with Tab (overlays, named: the name is what a screen
    /// reader says after the feature's); a base layer's are not, or a keyboard user would have to
    /// pass every country before reaching the controls.
    pub fn new(style: &Style, attribution: &Attribution, tab_stops: Option<&str>) -> Self {
        let style_entries = [
            ("color", JsValue::from_str(&style.color)),
            ("weight", style.weight.into()),
            ("opacity", style.opacity.into()),
            ("fillColor", JsValue::from_str(&style.fill_color)),
            ("fillOpacity", style.fill_opacity.into()),
            ("radius", style.radius.into()),
        ];
        let style_object = ffi::object(&style_entries);
        let options = js_sys::Object::new();
        let point_options = ffi::object(&style_entries);
        let marker = style.marker.clone();
        let point_to_layer =
            Closure::<dyn Fn(JsValue, LatLng) -> Layer>::new(move |feature, latlng: LatLng| {
                // Pins and icons are <img>s, in the Tab order, opened with Enter; their `alt`
                // names the feature for screen readers.
                let image_marker = |icon: Option<JsValue>| {
                    let options = ffi::object(&[
                        ("alt", super::access::feature_label(&feature).into()),
                        ("keyboard", JsValue::TRUE),
                        ("riseOnHover", JsValue::TRUE),
                    ]);
                    if let Some(icon) = icon {
                        ffi::set(&options, "icon", &icon);
                    }
                    ffi::marker(&latlng, &options)
                };
                match &marker {
                    Marker::Circle => ffi::circle_marker(&latlng, &point_options),
                    Marker::Pin => image_marker(None),
                    Marker::Icon(icon) => {
                        let properties = ffi::from_js(&ffi::get(&feature, "properties"))
                            .unwrap_or(crate::json::Json::Null);
                        // A feature without an image of its own, in a layer without one: the pin.
                        image_marker(
                            icon.url_for(&properties)
                                .map(|url| icon_of(&url, icon.size)),
                        )
                    }
                }
            });

        let popup_content = Closure::<dyn Fn(Layer) -> JsValue>::new(|layer: Layer| {
            let properties = ffi::get(&ffi::get(&layer, "feature"), "properties");
            web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| properties_popup(&d, &properties))
                .map(JsValue::from)
                .unwrap_or_else(|| JsValue::from_str("No properties"))
        });
        let popup_fn: JsValue = popup_content.as_ref().clone();
        let popup_options = super::popup::popup_options();
        // The tooltip's text is the feature's `style.tooltip` property, made when it opens.
        let tooltip_key = style.tooltip.clone();
        let tooltip_content = {
            let key = tooltip_key.clone().unwrap_or_default();
            Closure::<dyn Fn(Layer) -> JsValue>::new(move |layer: Layer| {
                let properties = ffi::get(&ffi::get(&layer, "feature"), "properties");
                let text = ffi::from_js(&properties)
                    .ok()
                    .and_then(|p| property_text(&p, &key))
                    .unwrap_or_default();
                super::popup::text_element(&text)
            })
        };
        let tooltip_fn: JsValue = tooltip_content.as_ref().clone();
        let tooltip_options =
            ffi::object(&[("sticky", JsValue::TRUE), ("direction", "top".into())]);
        let tab_stops = tab_stops.map(str::to_owned);
        let on_each_feature =
            Closure::<dyn Fn(JsValue, Layer)>::new(move |feature, layer: Layer| {
                layer.bind_popup_with_options(&popup_fn, &popup_options);
                if let Some(name) = &tab_stops {
                    ffi::set(&layer, super::access::TAB_STOP, &name.as_str().into());
                }
                // Only features that have the property get a tooltip (no empty boxes).
                let has_tooltip = tooltip_key.as_deref().is_some_and(|key| {
                    let value = ffi::get(&ffi::get(&feature, "properties"), key);
                    !value.is_null() && !value.is_undefined()
                });
                if has_tooltip {
                    ffi::call(
                        &layer,
                        "bindTooltip",
                        &[tooltip_fn.clone(), tooltip_options.clone()],
                    );
                }
            });

        ffi::set(&options, "style", &style_object);
        ffi::set(&options, "pointToLayer", point_to_layer.as_ref());
        ffi::set(&options, "onEachFeature", on_each_feature.as_ref());
        let attribution_html = attribution.to_html();
        if !attribution_html.is_empty() {
            ffi::set(
                &options,
                "attribution",
                &JsValue::from_str(&attribution_html),
            );
        }
        let layer = ffi::geo_json(&JsValue::NULL, &options);
        let highlight = highlight_on_hover(&layer, style);
        GeoJsonLayer {
            layer,
            _point_to_layer: point_to_layer,
            _on_each_feature: on_each_feature,
            _popup_content: popup_content,
            _tooltip_content: tooltip_content,
            _highlight: highlight,
        }
    }

    /// Replaces the layer's features with `data` (the document as JS objects) less the features
    /// `checked` (its verdict, see [`crate::geojson::check`]) drops.
    pub fn set_data(&self, data: JsValue, checked: &Checked) -> Result<(), String> {
        let data = match checked.shape {
            Shape::FeatureCollection if !checked.dropped.is_empty() => {
                let features: js_sys::Array = ffi::get(&data, "features").unchecked_into();
                let mut dropped = checked.dropped.iter().peekable();
                let kept = js_sys::Array::new();
                for i in 0..features.length() {
                    if dropped.next_if_eq(&&(i as usize)).is_none() {
                        kept.push(&features.get(i));
                    }
                }
                ffi::object(&[
                    ("type", "FeatureCollection".into()),
                    ("features", kept.into()),
                ])
            }
            Shape::FeatureCollection | Shape::Feature => data,
            Shape::Geometry => ffi::object(&[
                ("type", "Feature".into()),
                ("properties", js_sys::Object::new().into()),
                ("geometry", data),
            ]),
        };
        self.layer.clear_layers();
        // Checked data does not throw, but a Leaflet exception must never take the app down.
        self.layer.add_data(&data).map(|_| ()).map_err(|e| {
            format!(
                "Leaflet could not draw the data: {}",
                crate::http::js_error_text(&e)
            )
        })
    }

    /// The Leaflet layer, to add to a map or a layers control.
    pub fn layer(&self) -> &Layer {
        self.layer.unchecked_ref()
    }

    /// How many features are drawn (one Leaflet sublayer each).
    pub fn feature_count(&self) -> usize {
        self.layer.get_layers().length() as usize
    }
}

/// The shape under the pointer stands out (a heavier outline, a stronger fill) until the
/// pointer leaves it; the cursor is Leaflet's pointer for interactive shapes.
fn highlight_on_hover(group: &ffi::GeoJsonGroup, style: &Style) -> [LeafletListener; 2] {
    let hovered = ffi::object(&[
        ("weight", (style.weight + 2.0).into()),
        ("fillOpacity", (style.fill_opacity + 0.2).min(1.0).into()),
    ]);
    let normal = ffi::object(&[
        ("weight", style.weight.into()),
        ("fillOpacity", style.fill_opacity.into()),
    ]);
    let restyle = |style: JsValue| {
        move |event: JsValue| {
            ffi::call(
                &ffi::get(&event, "layer"),
                "setStyle",
                std::slice::from_ref(&style),
            );
        }
    };
    [
        LeafletListener::new(group, "mouseover", restyle(hovered)),
        LeafletListener::new(group, "mouseout", restyle(normal)),
    ]
}

/// `L.icon` for an image `size` pixels big whose bottom centre is on the point, its popup opening
/// above it.
fn icon_of(url: &str, (width, height): (f64, f64)) -> JsValue {
    let pair = |a: f64, b: f64| JsValue::from(js_sys::Array::of2(&a.into(), &b.into()));
    let options = ffi::object(&[
        ("iconUrl", url.into()),
        ("iconSize", pair(width, height)),
        ("iconAnchor", pair(width / 2.0, height)),
        ("popupAnchor", pair(0.0, -height)),
        ("tooltipAnchor", pair(0.0, -height)),
        ("className", "meshmap-icon".into()),
    ]);
    ffi::call(&ffi::get(&js_sys::global(), "L"), "icon", &[options])
}
